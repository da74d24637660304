using System.Text.Json;
using Mimisbrunnr.Norns;
using Mimisbrunnr.Storage;

namespace Mimisbrunnr.Sqlite;

/// <summary>
/// Migration 1 → 2: brings every stored norn to the current identity rules (<see cref="NornIdentity.Normalize"/>: id
/// from the device key and the normalised destination URL, URLs stored normalised). Rows written by earlier versions
/// have ids derived from the device id and the URL as written; they get their current id, and where several rows get
/// the same one (<c>uuid:ABC</c> and <c>uuid:abc</c>, or <c>http://h/hook</c> and <c>HTTP://h:80/hook</c>, to one
/// destination) the newest by <c>updated_at</c> stays and the others are deleted, whoever owns them.
/// </summary>
/// <remarks>
/// Runs inside the migration transaction (<c>BEGIN IMMEDIATE</c>, so no other process writes meanwhile) and is
/// idempotent: on rows that follow the current rules it changes nothing. Once the migration has committed, logs one line
/// with the counts and reports the deletes and the rewritten norns on the store's change feed.
/// </remarks>
internal static class SqliteRekeyMigration
{
    public static async Task RunAsync(SqliteMigrationContext context, CancellationToken cancellationToken)
    {
        // 1. Which rows change (ids and times only; a reader is closed before anything is written).
        var plan = new NornRekeyPlan();
        var examined = 0;
        using (var read = context.Command("SELECT id, document, updated_at FROM norns;"))
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
                    plan.AddChanged(id, current.Id, reader.GetInt64(2));
                }
            }
        }

        if (plan.Changed > 0)
        {
            foreach (var id in plan.IdsToLookUp())
            {
                using var find = context.Command("SELECT updated_at FROM norns WHERE id = $id;");
                find.Parameters.AddWithValue("$id", id);
                if (await find.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false) is long updatedAt)
                {
                    plan.AddUnchanged(id, updatedAt);
                }
            }
        }

        // 2. Per current id: delete the merged rows, then rewrite the row that stays under that id.
        int rekeyed = 0, merged = 0, rewritten = 0;
        foreach (var group in plan.Groups())
        {
            foreach (var id in group.Merged)
            {
                using var delete = context.Command("DELETE FROM norns WHERE id = $id;");
                delete.Parameters.AddWithValue("$id", id);
                await delete.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
                context.Changes.Add(new NornChange(NornChangeKind.Deleted, id, null));
                merged++;
            }

            if (!group.Keep.Changed)
            {
                continue;
            }

            Norn current;
            using (var find = context.Command("SELECT document FROM norns WHERE id = $id;"))
            {
                find.Parameters.AddWithValue("$id", group.Keep.Id);
                var document = (string)(await find.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false))!;
                current = NornIdentity.Normalize(Deserialize(document));
            }

            using (var update = context.Command("UPDATE norns SET id = $id, document = $document WHERE id = $old;"))
            {
                update.Parameters.AddWithValue("$id", current.Id);
                update.Parameters.AddWithValue("$document", JsonSerializer.Serialize(current, NornJsonContext.Default.Norn));
                update.Parameters.AddWithValue("$old", group.Keep.Id);
                await update.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
            }

            if (group.Rekeyed)
            {
                context.Changes.Add(new NornChange(NornChangeKind.Deleted, group.Keep.Id, null));
                rekeyed++;
            }
            else
            {
                rewritten++;
            }

            context.Changes.Add(new NornChange(NornChangeKind.Upserted, current.Id, current));
        }

        var dataSource = context.DataSource;
        var logger = context.Logger;
        context.AfterCommit.Add(() => SqliteLog.Rekeyed(logger, dataSource, examined, rekeyed, merged, rewritten));
    }

    private static Norn Deserialize(string document) =>
        JsonSerializer.Deserialize(document, NornJsonContext.Default.Norn)
        ?? throw new InvalidDataException("A stored norn document is null.");
}
