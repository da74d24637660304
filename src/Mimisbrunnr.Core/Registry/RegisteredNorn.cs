using Mimisbrunnr.Norns;
using Mimisbrunnr.Wrp;

namespace Mimisbrunnr.Registry;

/// <summary>
/// A norn as the in-memory registry holds it: the stored norn plus what is worked out once per version (the canonical
/// device id and the compiled filter). Replaced as a whole when the norn is updated, so readers never see a
/// half-updated norn.
/// </summary>
/// <remarks>
/// Kept small on purpose (a million idle norns must fit in well under a KiB each): an unfiltered norn carries no
/// filter object, and the device id shares the stored norn's string.
/// </remarks>
internal sealed partial class RegisteredNorn
{
    private readonly EventFilter? _filter;

    // A copy of Norn.ExpiresAt, so that routing checks expiry without touching the Norn (one cache miss less per
    // norn when a million of them are registered).
    private readonly long _expiresAtUtcTicks;

    // The partner ids events must share with the norn: null when not enforced or when the norn has "*".
    private readonly IReadOnlyList<string>? _partners;

    /// <summary>Wraps a stored norn and compiles its filter.</summary>
    /// <param name="norn">The stored norn.</param>
    /// <exception cref="ArgumentException">The norn's device id is not a device id.</exception>
    public RegisteredNorn(Norn norn)
    {
        ArgumentNullException.ThrowIfNull(norn);
        if (!Wrp.DeviceId.TryScan(norn.DeviceId, out _, out _, out _, out _)) // the check of TryParse, without its allocations
        {
            throw new ArgumentException($"The norn {norn.Id} has an invalid device id.", nameof(norn));
        }

        Norn = norn;
        _expiresAtUtcTicks = norn.ExpiresAt.UtcTicks;
        _partners = norn.PartnerIds is { Count: > 0 } partners && !partners.Contains(AllPartners) ? partners : null;

        try
        {
            _filter = EventFilter.Compile(norn.Filter);
        }
        catch (Exception ex) when (ex is ArgumentException or NotSupportedException)
        {
            // Validation keeps bad patterns out of the store; should one get there anyway (written before filters had
            // to be linear-time, say), deliver nothing rather than everything.
            _filter = EventFilter.Nothing;
        }
    }

    /// <summary>The stored norn.</summary>
    public Norn Norn { get; }

    /// <summary>The norn id.</summary>
    public string Id => Norn.Id;

    /// <summary>The canonical device id.</summary>
    /// <remarks>
    /// Worked out from the stored norn's text on each call (the constructor checked that it parses), not kept: only
    /// the registry's writers ask for it (a parse per write), and a million idle norns are 8 bytes smaller each. The
    /// stored string is returned when it is already canonical (it is, for norns written through NornService).
    /// </remarks>
    public DeviceId DeviceId
    {
        get
        {
            var text = Norn.DeviceId;
            var parsed = Wrp.DeviceId.Parse(text);
            return string.Equals(parsed.Value, text, StringComparison.Ordinal) ? Wrp.DeviceId.FromCanonical(text) : parsed;
        }
    }

    /// <summary>When the norn expires.</summary>
    public DateTimeOffset ExpiresAt => Norn.ExpiresAt;

    /// <summary>Whether the norn's filter has event regexes, whose matching counts against the event's filter budget.</summary>
    public bool HasFilterPatterns => _filter is { HasPatterns: true };

    /// <summary>Whether every event of the device passes the norn (no filter and no partner ids to check).</summary>
    internal bool IsPlain => _filter is null && _partners is null;

    /// <summary>When the norn expires, in UTC ticks.</summary>
    internal long ExpiresAtUtcTicks => _expiresAtUtcTicks;

    /// <summary>Whether the stored filter failed to compile (the norn then receives nothing).</summary>
    public bool HasInvalidFilter => ReferenceEquals(_filter, EventFilter.Nothing);

    /// <summary>Whether the norn has expired at <paramref name="now"/>.</summary>
    /// <param name="now">The current time.</param>
    /// <returns><see langword="true"/> at or after <see cref="ExpiresAt"/>.</returns>
    public bool IsExpired(DateTimeOffset now) => now.UtcTicks >= _expiresAtUtcTicks;

    /// <summary>The partner id that stands for every partner.</summary>
    public const string AllPartners = "*";

    /// <summary>
    /// Whether an event with these partner ids may reach the norn: always when the norn carries no partner ids (they
    /// were not enforced) or <c>*</c>; otherwise when the two share one (compared exactly, as XMiDT does).
    /// </summary>
    /// <param name="eventPartnerIds">The event's partner ids, or the configured default list when it has none.</param>
    /// <returns>Whether the norn's tenant may see the event.</returns>
    public bool AcceptsPartners(IReadOnlyList<string> eventPartnerIds)
    {
        var mine = _partners;
        if (mine is null)
        {
            return true;
        }

        for (var i = 0; i < eventPartnerIds.Count; i++)
        {
            var partner = eventPartnerIds[i];
            for (var j = 0; j < mine.Count; j++)
            {
                if (string.Equals(partner, mine[j], StringComparison.Ordinal))
                {
                    return true;
                }
            }
        }

        return false;
    }

    /// <summary>Whether an event passes the norn's filter.</summary>
    /// <param name="eventType">The event type (<c>dest</c> without <c>event:</c>).</param>
    /// <param name="metadata">The event's metadata.</param>
    /// <returns>Whether the norn wants the event.</returns>
    public bool Matches(string eventType, IReadOnlyDictionary<string, string>? metadata) =>
        _filter is null || _filter.Matches(eventType, metadata);
}
