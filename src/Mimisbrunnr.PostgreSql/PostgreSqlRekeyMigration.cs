using System.Text.Json;
using Mimisbrunnr.Norns;
using Mimisbrunnr.Storage;
using NpgsqlTypes;

namespace Mimisbrunnr.PostgreSql;

/// <summary>
/// Migration 1 → 2, its code: brings every stored norn to the current identity rules (<see cref="NornIdentity.Normalize"/>:
/// id from the device key and the normalised destination URL, URLs stored normalised). Rows written by earlier versions
/// have ids derived from the device id and the URL as written; they get their current id, and where several rows get
/// the same one (<c>uuid:ABC</c> and <c>uuid:abc</c>, or <c>http://h/hook</c> and <c>HTTP://h:80/hook</c>, to one
/// destination) the newest by <c>updated_at</c> stays and the others are deleted, whoever owns them.
/// </summary>
/// <remarks>
/// <para>
/// Runs in the migration transaction, under the migration's advisory lock (hosts starting together migrate once), and
/// locks the table against writes first (<c>EXCLUSIVE</c>: reads go on; writes of hosts already running, of any
/// version, wait for the commit), so no row is written under the old rules while it runs. Idempotent: on rows that
/// follow the current rules it changes nothing.
/// </para>
/// <para>
/// Each change is notified as the store's writes are (<c>delete:</c> for a merged row and for the old id of a re-keyed
/// one, <c>upsert:</c> for the id it gets), delivered at commit, so hosts already running follow. One log line, after
/// the commit, counts the rows re-keyed and merged.
/// </para>
/// </remarks>
internal static class PostgreSqlRekeyMigration
{
    public static async Task RunAsync(PostgreSqlMigrationContext context, CancellationToken cancellationToken)
    {
        using (var lockTable = context.Command("LOCK TABLE mimisbrunnr.norns IN EXCLUSIVE MODE;"))
        {
            await lockTable.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        }

        // 1. Which rows change (ids and times only; the reader is closed before anything is written).
        var plan = new NornRekeyPlan();
        var examined = 0;
        using (var read = context.Command("SELECT id, document::text, updated_at FROM mimisbrunnr.norns;"))
        {
            using var reader = await read.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
            while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
            {
                examined++;
                var id = reader.GetString(0);
                var norn = Deserialize(reader.GetString(1));
                var current = NornIdentity.Normalize(norn);
                if (!ReferenceEquals(current, norn) || !string.Equals(current.Id, id, StringComparison.Ordinal))
                {
                    plan.AddChanged(id, current.Id, reader.GetFieldValue<DateTime>(2).Ticks);
                }
            }
        }

        if (plan.Changed > 0)
        {
            using var find = context.Command("SELECT id, updated_at FROM mimisbrunnr.norns WHERE id = ANY(@ids);");
            find.Parameters.AddWithValue("ids", NpgsqlDbType.Array | NpgsqlDbType.Text, plan.IdsToLookUp());
            using var reader = await find.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
            while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
            {
                plan.AddUnchanged(reader.GetString(0), reader.GetFieldValue<DateTime>(1).Ticks);
            }
        }

        // 2. Per current id: delete the merged rows, then rewrite the row that stays under that id.
        int rekeyed = 0, merged = 0, rewritten = 0;
        foreach (var group in plan.Groups())
        {
            foreach (var id in group.Merged)
            {
                // delete_norn notifies the delete.
                using var delete = context.Command("SELECT mimisbrunnr.delete_norn(@id, NULL);");
                delete.Parameters.AddWithValue("id", id);
                await delete.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
                merged++;
            }

            if (!group.Keep.Changed)
            {
                continue;
            }

            Norn current;
            using (var find = context.Command("SELECT document::text FROM mimisbrunnr.norns WHERE id = @id;"))
            {
                find.Parameters.AddWithValue("id", group.Keep.Id);
                var document = (string)(await find.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false))!;
                current = NornIdentity.Normalize(Deserialize(document));
            }

            using (var update = context.Command(
                """
                UPDATE mimisbrunnr.norns
                   SET id = @id, document = @document, change_seq = nextval('mimisbrunnr.norn_change_seq')
                 WHERE id = @old;
                SELECT pg_notify('mimisbrunnr_norns', 'delete:' || @old) WHERE @old <> @id;
                SELECT pg_notify('mimisbrunnr_norns', 'upsert:' || @id);
                """))
            {
                update.Parameters.AddWithValue("id", current.Id);
                update.Parameters.AddWithValue("document", NpgsqlDbType.Jsonb, JsonSerializer.Serialize(current, NornJsonContext.Default.Norn));
                update.Parameters.AddWithValue("old", group.Keep.Id);
                await update.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
            }

            if (group.Rekeyed)
            {
                rekeyed++;
            }
            else
            {
                rewritten++;
            }
        }

        var server = context.Server;
        var logger = context.Logger;
        context.AfterCommit.Add(() => PostgreSqlLog.Rekeyed(logger, server, examined, rekeyed, merged, rewritten));
    }

    private static Norn Deserialize(string document) =>
        JsonSerializer.Deserialize(document, NornJsonContext.Default.Norn)
        ?? throw new InvalidDataException("A stored norn document is null.");
}
