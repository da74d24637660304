using Mimisbrunnr.Norns;

namespace Mimisbrunnr.Storage;

/// <summary>
/// What bringing stored norns to the current identity rules (<see cref="NornIdentity.Normalize"/>) changes: the rows
/// whose id or document the rules change, gathered by the id they get, and per id the row that stays (the newest by
/// <c>updated_at</c>) and the rows merged into it (deleted). Holds ids and times only, never documents, and only of the
/// rows that change (and of the unchanged rows that share an id with them).
/// </summary>
/// <remarks>
/// <para>Compiled into the SQLite and PostgreSQL stores (src/Shared), whose schema-2 migrations use it.</para>
/// <para>
/// A row that already has its current id cannot be the target of another id: a stored id equal to a current id is the
/// hash of a lower-cased device key and a normalised URL, whose current id is that same id. So every row a group needs
/// is either a changed row or the one unchanged row at the group's id, and rewriting one group never touches another.
/// </para>
/// </remarks>
internal sealed class NornRekeyPlan
{
    private readonly Dictionary<string, List<Row>> _byCurrentId = new(StringComparer.Ordinal);
    private readonly HashSet<string> _changedIds = new(StringComparer.Ordinal);

    /// <summary>How many changed rows were added.</summary>
    public int Changed { get; private set; }

    /// <summary>Adds a row whose id or document the current rules change.</summary>
    /// <param name="id">The stored id.</param>
    /// <param name="currentId">The id under the current rules.</param>
    /// <param name="updatedAt">The row's <c>updated_at</c>, in any unit that orders.</param>
    public void AddChanged(string id, string currentId, long updatedAt)
    {
        Add(new Row(id, currentId, updatedAt, Changed: true));
        _changedIds.Add(id);
        Changed++;
    }

    /// <summary>The current ids that no changed row holds already: an unchanged row may hold them (look each up).</summary>
    /// <returns>The ids, in ascending order.</returns>
    public IReadOnlyList<string> IdsToLookUp()
    {
        var ids = new List<string>();
        foreach (var currentId in _byCurrentId.Keys)
        {
            if (!_changedIds.Contains(currentId))
            {
                ids.Add(currentId);
            }
        }

        ids.Sort(StringComparer.Ordinal);
        return ids;
    }

    /// <summary>Adds the unchanged row found at one of <see cref="IdsToLookUp"/>.</summary>
    /// <param name="id">Its id (its current id too).</param>
    /// <param name="updatedAt">Its <c>updated_at</c>, in the unit of <see cref="AddChanged"/>.</param>
    public void AddUnchanged(string id, long updatedAt)
    {
        // A changed row is never also an unchanged one (see the remarks; this only guards against a broken assumption:
        // rewriting would then fail on the primary key and roll the migration back, rather than lose a row).
        if (!_changedIds.Contains(id))
        {
            Add(new Row(id, id, updatedAt, Changed: false));
        }
    }

    /// <summary>
    /// Per current id, in ascending order: the row that stays — the newest; on a tie the one already at the current id,
    /// then the lowest stored id — and the rows merged into it.
    /// </summary>
    /// <returns>The groups.</returns>
    public IReadOnlyList<Group> Groups()
    {
        var groups = new List<Group>(_byCurrentId.Count);
        foreach (var (currentId, rows) in _byCurrentId)
        {
            rows.Sort((a, b) =>
            {
                var byTime = b.UpdatedAt.CompareTo(a.UpdatedAt);
                if (byTime != 0)
                {
                    return byTime;
                }

                var aInPlace = string.Equals(a.Id, currentId, StringComparison.Ordinal);
                var bInPlace = string.Equals(b.Id, currentId, StringComparison.Ordinal);
                return aInPlace != bInPlace ? (aInPlace ? -1 : 1) : string.CompareOrdinal(a.Id, b.Id);
            });
            groups.Add(new Group(currentId, rows[0], rows.GetRange(1, rows.Count - 1).ConvertAll(r => r.Id)));
        }

        groups.Sort((a, b) => string.CompareOrdinal(a.CurrentId, b.CurrentId));
        return groups;
    }

    private void Add(Row row)
    {
        if (!_byCurrentId.TryGetValue(row.CurrentId, out var rows))
        {
            rows = [];
            _byCurrentId.Add(row.CurrentId, rows);
        }

        rows.Add(row);
    }

    /// <summary>A stored row.</summary>
    /// <param name="Id">Its stored id.</param>
    /// <param name="CurrentId">Its id under the current rules.</param>
    /// <param name="UpdatedAt">When it was last written.</param>
    /// <param name="Changed">Whether its id or document changes.</param>
    internal readonly record struct Row(string Id, string CurrentId, long UpdatedAt, bool Changed);

    /// <summary>The rows that get one current id.</summary>
    /// <param name="CurrentId">The id.</param>
    /// <param name="Keep">The row that stays, rewritten (when <see cref="Row.Changed"/>) under <paramref name="CurrentId"/>.</param>
    /// <param name="Merged">The stored ids of the rows deleted in its favour.</param>
    internal sealed record Group(string CurrentId, Row Keep, IReadOnlyList<string> Merged)
    {
        /// <summary>Whether the row that stays moves to another id.</summary>
        public bool Rekeyed => Keep.Changed && !string.Equals(Keep.Id, CurrentId, StringComparison.Ordinal);

        /// <summary>Whether the row that stays keeps its id but its document changes (normalised URLs).</summary>
        public bool Rewritten => Keep.Changed && string.Equals(Keep.Id, CurrentId, StringComparison.Ordinal);
    }
}
