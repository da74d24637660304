namespace Mimisbrunnr.PostgreSql;

/// <summary>
/// The schema of the PostgreSQL norn store, its migrations and the names shared by every host instance. Everything
/// lives in the database schema <c>mimisbrunnr</c>.
/// </summary>
internal static class PostgreSqlSchema
{
    /// <summary>The schema version this code writes.</summary>
    public const int Version = 2;

    /// <summary>The NOTIFY channel; payloads are <c>upsert:&lt;id&gt;</c> and <c>delete:&lt;id&gt;</c>.</summary>
    public const string Channel = "mimisbrunnr_norns";

    /// <summary>Payload prefix of a create or update.</summary>
    public const string UpsertPrefix = "upsert:";

    /// <summary>Payload prefix of a delete (by a caller, by expiry, or by a 410).</summary>
    public const string DeletePrefix = "delete:";

    // Advisory locks (transaction-scoped): the first key is always 1835625833 (0x6D696D69, "mimi" in ASCII); the second
    // is 0 for the migration, and otherwise a hash whose two low bits say what it locks, so that locks of different
    // kinds never share a key: 01 a norn id, 10 an owner, 11 an owner on a device (owner and device key). Schema 1 used
    // odd hashes for devices and even ones for owners. A write takes them in the order id, owner, owner on a device, so
    // that no two writes wait for each other in a circle.

    /// <summary>Creates the schema and the version table, under the migration lock; run in the migration transaction.</summary>
    public const string Prepare = """
        SELECT pg_advisory_xact_lock(1835625833, 0);
        CREATE SCHEMA IF NOT EXISTS mimisbrunnr;
        CREATE TABLE IF NOT EXISTS mimisbrunnr.schema_version (version integer NOT NULL);
        """;

    /// <summary>Entry i moves the schema from version i to i + 1: its SQL, then its code, in the migration transaction.</summary>
    public static readonly PostgreSqlMigration[] Migrations =
    [
        // 0 -> 1: the table, the write functions (upsert_norn replaced by version 2).
        new("""
        CREATE SEQUENCE mimisbrunnr.norn_change_seq AS bigint;

        -- document is the norn as JSON (the stored form, with secrets) and is what is read back; the other columns
        -- are copies for queries and locking. Ids sort ordinally (COLLATE "C"), as list pages need. change_seq
        -- takes a new value from norn_change_seq on every write (the write order, for operators and for a future
        -- incremental catch-up; followers resync by a full reload, see PostgreSqlNornStore).
        CREATE TABLE mimisbrunnr.norns (
            id text COLLATE "C" NOT NULL PRIMARY KEY,
            owner text NOT NULL,
            device_id text NOT NULL,
            device_key text NOT NULL,
            expires_at timestamptz NOT NULL,
            document jsonb NOT NULL,
            created_at timestamptz NOT NULL,
            updated_at timestamptz NOT NULL,
            change_seq bigint NOT NULL DEFAULT nextval('mimisbrunnr.norn_change_seq')
        );
        CREATE INDEX ix_norns_device_key_expires_at ON mimisbrunnr.norns (device_key, expires_at);
        CREATE INDEX ix_norns_expires_at ON mimisbrunnr.norns (expires_at);
        CREATE INDEX ix_norns_owner_id ON mimisbrunnr.norns (owner, id);
        CREATE INDEX ix_norns_owner_expires_at ON mimisbrunnr.norns (owner, expires_at);
        CREATE INDEX ix_norns_change_seq ON mimisbrunnr.norns (change_seq);

        -- Create or update with the owner check and the quotas, in one transaction (one round trip).
        -- Status: 0 created, 1 updated, 2 conflict, 3 owner quota, 4 device quota. created_at_json is the kept
        -- createdAt (a JSON string) on update.
        CREATE FUNCTION mimisbrunnr.upsert_norn(
            p_id text, p_owner text, p_device_id text, p_device_key text, p_expires_at timestamptz,
            p_document jsonb, p_created_at timestamptz, p_updated_at timestamptz,
            p_max_per_owner integer, p_max_per_device integer)
        RETURNS TABLE (status integer, created_at_json text)
        LANGUAGE plpgsql AS $fn$
        DECLARE
            v_owner text;
            v_expires_at timestamptz;
            v_created jsonb;
            v_count bigint;
        BEGIN
            -- Every write of a device waits for the other writes of that device (and so of the same id), so that
            -- an absent row cannot be created twice and the device count is exact.
            PERFORM pg_advisory_xact_lock(1835625833, hashtext('d:' || p_device_key) | 1);
            SELECT n.owner, n.expires_at, n.document -> 'createdAt' INTO v_owner, v_expires_at, v_created
              FROM mimisbrunnr.norns n WHERE n.id = p_id FOR UPDATE;
            IF FOUND AND v_expires_at > p_updated_at THEN
                IF v_owner <> p_owner THEN
                    RETURN QUERY SELECT 2, NULL::text;
                    RETURN;
                END IF;
                UPDATE mimisbrunnr.norns
                   SET expires_at = p_expires_at,
                       document = jsonb_set(p_document, '{createdAt}', v_created),
                       updated_at = p_updated_at,
                       change_seq = nextval('mimisbrunnr.norn_change_seq')
                 WHERE id = p_id;
                PERFORM pg_notify('mimisbrunnr_norns', 'upsert:' || p_id);
                RETURN QUERY SELECT 1, v_created::text;
                RETURN;
            END IF;

            -- A create (absent, or expired and replaced): the owner's creates wait for each other for the count.
            IF p_max_per_owner < 2147483647 THEN
                PERFORM pg_advisory_xact_lock(1835625833, hashtext('o:' || p_owner) & ~1);
                SELECT count(*) INTO v_count FROM (
                    SELECT 1 FROM mimisbrunnr.norns
                     WHERE owner = p_owner AND expires_at > p_updated_at LIMIT p_max_per_owner) AS live;
                IF v_count >= p_max_per_owner THEN
                    RETURN QUERY SELECT 3, NULL::text;
                    RETURN;
                END IF;
            END IF;

            IF p_max_per_device < 2147483647 THEN
                SELECT count(*) INTO v_count FROM (
                    SELECT 1 FROM mimisbrunnr.norns
                     WHERE device_key = p_device_key AND expires_at > p_updated_at LIMIT p_max_per_device) AS live;
                IF v_count >= p_max_per_device THEN
                    RETURN QUERY SELECT 4, NULL::text;
                    RETURN;
                END IF;
            END IF;

            INSERT INTO mimisbrunnr.norns
                   (id, owner, device_id, device_key, expires_at, document, created_at, updated_at)
            VALUES (p_id, p_owner, p_device_id, p_device_key, p_expires_at, p_document, p_created_at, p_updated_at)
            ON CONFLICT (id) DO UPDATE
               SET owner = EXCLUDED.owner,
                   device_id = EXCLUDED.device_id,
                   device_key = EXCLUDED.device_key,
                   expires_at = EXCLUDED.expires_at,
                   document = EXCLUDED.document,
                   created_at = EXCLUDED.created_at,
                   updated_at = EXCLUDED.updated_at,
                   change_seq = nextval('mimisbrunnr.norn_change_seq');
            PERFORM pg_notify('mimisbrunnr_norns', 'upsert:' || p_id);
            RETURN QUERY SELECT 0, NULL::text;
        END
        $fn$;

        -- Deletes one norn (of p_owner only, when given) and notifies.
        CREATE FUNCTION mimisbrunnr.delete_norn(p_id text, p_owner text)
        RETURNS boolean
        LANGUAGE plpgsql AS $fn$
        BEGIN
            DELETE FROM mimisbrunnr.norns WHERE id = p_id AND (p_owner IS NULL OR owner = p_owner);
            IF NOT FOUND THEN
                RETURN false;
            END IF;
            PERFORM pg_notify('mimisbrunnr_norns', 'delete:' || p_id);
            RETURN true;
        END
        $fn$;

        -- Deletes the norns expired at p_now and notifies each. Concurrent sweeps are safe: a row deleted by one is
        -- not returned by another (DELETE re-checks the row after waiting for its lock), so each id is reported once.
        CREATE FUNCTION mimisbrunnr.delete_expired_norns(p_now timestamptz)
        RETURNS SETOF text
        LANGUAGE plpgsql AS $fn$
        DECLARE
            v_id text;
        BEGIN
            FOR v_id IN DELETE FROM mimisbrunnr.norns WHERE expires_at <= p_now RETURNING id LOOP
                PERFORM pg_notify('mimisbrunnr_norns', 'delete:' || v_id);
                RETURN NEXT v_id;
            END LOOP;
        END
        $fn$;
        """),

        // 1 -> 2: the device quota counts the owner's norns on the device, not every owner's (upsert_norn, same
        // signature, so hosts still running version 1 code call the new one); writes lock the id instead of the whole
        // device. Ids follow the current identity rules: rows written under the old ones are re-keyed, duplicates merged.
        new(
            """
            CREATE INDEX IF NOT EXISTS ix_norns_owner_device_key_expires_at ON mimisbrunnr.norns (owner, device_key, expires_at);

            -- Create or update with the owner check and the quotas, in one transaction (one round trip).
            -- Status: 0 created, 1 updated, 2 conflict, 3 owner quota, 4 device quota (the owner's norns on the
            -- device). created_at_json is the kept createdAt (a JSON string) on update.
            CREATE OR REPLACE FUNCTION mimisbrunnr.upsert_norn(
                p_id text, p_owner text, p_device_id text, p_device_key text, p_expires_at timestamptz,
                p_document jsonb, p_created_at timestamptz, p_updated_at timestamptz,
                p_max_per_owner integer, p_max_per_device integer)
            RETURNS TABLE (status integer, created_at_json text)
            LANGUAGE plpgsql AS $fn$
            DECLARE
                v_owner text;
                v_expires_at timestamptz;
                v_created jsonb;
                v_count bigint;
            BEGIN
                -- Every write of an id waits for the other writes of that id, so that an absent row cannot be created
                -- twice: of two owners creating one device and destination pair at once, one creates, one conflicts.
                PERFORM pg_advisory_xact_lock(1835625833, (hashtext('i:' || p_id) & ~3) | 1);
                SELECT n.owner, n.expires_at, n.document -> 'createdAt' INTO v_owner, v_expires_at, v_created
                  FROM mimisbrunnr.norns n WHERE n.id = p_id FOR UPDATE;
                IF FOUND AND v_expires_at > p_updated_at THEN
                    IF v_owner <> p_owner THEN
                        RETURN QUERY SELECT 2, NULL::text;
                        RETURN;
                    END IF;
                    UPDATE mimisbrunnr.norns
                       SET expires_at = p_expires_at,
                           document = jsonb_set(p_document, '{createdAt}', v_created),
                           updated_at = p_updated_at,
                           change_seq = nextval('mimisbrunnr.norn_change_seq')
                     WHERE id = p_id;
                    PERFORM pg_notify('mimisbrunnr_norns', 'upsert:' || p_id);
                    RETURN QUERY SELECT 1, v_created::text;
                    RETURN;
                END IF;

                -- A create (absent, or expired and replaced). The owner's creates wait for each other while the owner
                -- quota is counted, and the owner's creates on the device while the device quota is counted, so both
                -- counts are exact across hosts; other owners' creates on the device do not wait.
                IF p_max_per_owner < 2147483647 THEN
                    PERFORM pg_advisory_xact_lock(1835625833, (hashtext('o:' || p_owner) & ~3) | 2);
                    SELECT count(*) INTO v_count FROM (
                        SELECT 1 FROM mimisbrunnr.norns
                         WHERE owner = p_owner AND expires_at > p_updated_at LIMIT p_max_per_owner) AS live;
                    IF v_count >= p_max_per_owner THEN
                        RETURN QUERY SELECT 3, NULL::text;
                        RETURN;
                    END IF;
                END IF;

                IF p_max_per_device < 2147483647 THEN
                    PERFORM pg_advisory_xact_lock(1835625833, (hashtext('d:' || p_owner || E'\n' || p_device_key) & ~3) | 3);
                    SELECT count(*) INTO v_count FROM (
                        SELECT 1 FROM mimisbrunnr.norns
                         WHERE owner = p_owner AND device_key = p_device_key AND expires_at > p_updated_at
                         LIMIT p_max_per_device) AS live;
                    IF v_count >= p_max_per_device THEN
                        RETURN QUERY SELECT 4, NULL::text;
                        RETURN;
                    END IF;
                END IF;

                INSERT INTO mimisbrunnr.norns
                       (id, owner, device_id, device_key, expires_at, document, created_at, updated_at)
                VALUES (p_id, p_owner, p_device_id, p_device_key, p_expires_at, p_document, p_created_at, p_updated_at)
                ON CONFLICT (id) DO UPDATE
                   SET owner = EXCLUDED.owner,
                       device_id = EXCLUDED.device_id,
                       device_key = EXCLUDED.device_key,
                       expires_at = EXCLUDED.expires_at,
                       document = EXCLUDED.document,
                       created_at = EXCLUDED.created_at,
                       updated_at = EXCLUDED.updated_at,
                       change_seq = nextval('mimisbrunnr.norn_change_seq');
                PERFORM pg_notify('mimisbrunnr_norns', 'upsert:' || p_id);
                RETURN QUERY SELECT 0, NULL::text;
            END
            $fn$;
            """,
            PostgreSqlRekeyMigration.RunAsync),
    ];
}

/// <summary>The code part of a migration.</summary>
/// <param name="context">The connection, the transaction and what to do after the commit.</param>
/// <param name="cancellationToken">Cancels the migration (the transaction is rolled back).</param>
/// <returns>A task.</returns>
internal delegate Task PostgreSqlMigrationCode(PostgreSqlMigrationContext context, CancellationToken cancellationToken);

/// <summary>One migration: SQL, then code; either may be absent.</summary>
/// <param name="Sql">Statements run first.</param>
/// <param name="Code">Code run after them, in the same transaction.</param>
internal sealed record PostgreSqlMigration(string? Sql, PostgreSqlMigrationCode? Code = null);
