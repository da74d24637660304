namespace Mimisbrunnr.Norns;

/// <summary>
/// How one norn's deliveries are going on one host instance (<c>delivery</c> in <c>GET /norns/{id}</c>). Shared by the
/// server and the client SDK.
/// </summary>
/// <remarks>
/// <para>
/// Buffers, workers and cut-offs are per instance (DESIGN.md, "Scale-out"), and so is this status: it describes the
/// instance named by <see cref="Instance"/>, the one that answered the request. Another instance behind the same load
/// balancer may deliver the same norn's events with other figures.
/// </para>
/// <para>
/// The counts live with the norn's dispatcher, which exists only while the norn is active: it is created by the norn's
/// first event and retired after <c>Mimisbrunnr:Delivery:IdleTimeout</c> (5 minutes) without events, buffered events
/// or a cut-off. Retiring it forgets the counts, so that a quiet norn costs no memory at all; the counts are therefore
/// "since <c>since</c>", the start of the current active period on this instance, not since the instance
/// started. An idle norn reports <see cref="NornDeliveryStates.Idle"/>, zero counts and no <c>since</c>.
/// </para>
/// </remarks>
public sealed record NornDeliveryStatus
{
    /// <summary>The host instance these figures belong to (<c>Mimisbrunnr:InstanceName</c>, by default the machine name).</summary>
    public required string Instance { get; init; }

    /// <summary><c>idle</c>, <c>active</c>, <c>cutOff</c> or <c>failing</c> (see <c>NornDeliveryStates</c>).</summary>
    public required string State { get; init; }

    /// <summary>When the counts started: the norn's first event after it was last idle. <see langword="null"/> when idle.</summary>
    public DateTimeOffset? Since { get; init; }

    /// <summary>When the current cut-off ends; <see langword="null"/> unless the state is <c>cutOff</c>.</summary>
    public DateTimeOffset? CutOffUntil { get; init; }

    /// <summary>Events buffered now, waiting to be sent.</summary>
    public int Queued { get; init; }

    /// <summary>Events the destination accepted since <c>since</c>.</summary>
    public long Delivered { get; init; }

    /// <summary>
    /// Events the destination did not accept, after the retries or with a final answer, since <c>since</c> (the
    /// drop reason <c>failed</c> of the <c>mimisbrunnr.drops</c> metric).
    /// </summary>
    public long Failed { get; init; }

    /// <summary>
    /// Events dropped without being sent since <c>since</c>, by reason: <c>queue_full</c>, <c>cut_off</c>,
    /// <c>expired</c>, <c>deleted</c>, <c>shutdown</c>, <c>host_budget</c>, <c>owner_budget</c> (every reason is present, zero when none). Failed deliveries are
    /// counted in <c>failed</c>, not here.
    /// </summary>
    public IReadOnlyDictionary<string, long> Dropped { get; init; } = new Dictionary<string, long>(StringComparer.Ordinal);

    /// <summary>Events of the norn's device that its filter left out since <c>since</c> (not drops).</summary>
    public long Filtered { get; init; }

    /// <summary>Cut-offs since <c>since</c>.</summary>
    public long CutOffs { get; init; }

    /// <summary>When the destination last accepted an event; <see langword="null"/> when it has not since <c>since</c>.</summary>
    public DateTimeOffset? LastSuccessAt { get; init; }

    /// <summary>The last failed attempt since <c>since</c>, if any.</summary>
    public NornDeliveryFailure? LastFailure { get; init; }
}

/// <summary>What went wrong in a failed delivery attempt: a status code or an error kind, never a body or a secret.</summary>
public sealed record NornDeliveryFailure
{
    /// <summary>When the attempt started.</summary>
    public required DateTimeOffset At { get; init; }

    /// <summary>The HTTP status code the destination answered, if it answered.</summary>
    public int? StatusCode { get; init; }

    /// <summary>
    /// The kind of error when there was no answer or the answer was not a status (<c>timeout</c>, <c>refused</c>,
    /// <c>name_resolution</c>, <c>connection</c>, <c>tls</c>, <c>protocol</c>, <c>cancelled</c>, <c>other</c>; SQS: the
    /// service's error code).
    /// </summary>
    public string? Error { get; init; }
}

/// <summary>One attempt to deliver to a norn's destination (<c>GET /norns/{id}/attempts</c>).</summary>
public sealed record NornDeliveryAttempt
{
    /// <summary>When the attempt started.</summary>
    public required DateTimeOffset At { get; init; }

    /// <summary>1 for the first try of an event (or of an SQS request), 2 and up for its retries.</summary>
    public required int Attempt { get; init; }

    /// <summary>Whether the destination accepted it.</summary>
    public required bool Succeeded { get; init; }

    /// <summary>The HTTP status code the destination answered, if it answered.</summary>
    public int? StatusCode { get; init; }

    /// <summary>The kind of error, as in <c>lastFailure.error</c>, when the attempt got no status that says it all.</summary>
    public string? Error { get; init; }

    /// <summary>How long the attempt took, in milliseconds.</summary>
    public required double DurationMs { get; init; }

    /// <summary>The WRP transaction id of the event, when the attempt carried one event that has one.</summary>
    public string? TransactionId { get; init; }

    /// <summary>How many events the attempt carried (1 for HTTP; up to 10 for an SQS batch).</summary>
    public int Events { get; init; } = 1;
}

/// <summary>The body of <c>GET /norns/{id}/attempts</c>: the last attempts on one instance, newest first.</summary>
public sealed record NornDeliveryAttempts
{
    /// <summary>The host instance that made the attempts.</summary>
    public required string Instance { get; init; }

    /// <summary>The last attempts (at most 20), newest first; empty when the norn is idle on this instance.</summary>
    public required IReadOnlyList<NornDeliveryAttempt> Attempts { get; init; }
}

/// <summary>The values of <see cref="NornDeliveryStatus.State"/>.</summary>
public static class NornDeliveryStates
{
    /// <summary>No dispatcher on this instance: no event for the norn since it was last retired (or ever).</summary>
    public const string Idle = "idle";

    /// <summary>The norn's dispatcher runs and its last delivery (if any) succeeded.</summary>
    public const string Active = "active";

    /// <summary>The norn's buffer overflowed; every event is dropped until <see cref="NornDeliveryStatus.CutOffUntil"/>.</summary>
    public const string CutOff = "cutOff";

    /// <summary>The norn's last delivery failed (after its retries) and none succeeded since.</summary>
    public const string Failing = "failing";
}

/// <summary>The error kinds of failed attempts (<see cref="NornDeliveryAttempt.Error"/>) that are not a status code.</summary>
public static class DeliveryErrorKinds
{
    /// <summary>The attempt took longer than <c>Mimisbrunnr:Delivery:Timeout</c>.</summary>
    public const string Timeout = "timeout";

    /// <summary>The destination's address is not allowed (SSRF rules, checked at connect time).</summary>
    public const string Refused = "refused";

    /// <summary>The destination's host name did not resolve.</summary>
    public const string NameResolution = "name_resolution";

    /// <summary>No connection could be made, or it broke.</summary>
    public const string Connection = "connection";

    /// <summary>The TLS handshake failed.</summary>
    public const string Tls = "tls";

    /// <summary>The destination's answer was not valid HTTP, or ended early.</summary>
    public const string Protocol = "protocol";

    /// <summary>The host stopped or the norn was removed during the attempt.</summary>
    public const string Cancelled = "cancelled";

    /// <summary>The sender failed in a way of its own (a bug, a missing secret key, ...); the host's log says more.</summary>
    public const string Other = "other";
}
