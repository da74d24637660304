namespace Mimisbrunnr.Diagnostics;

/// <summary>Drop reasons, as recorded in the <c>reason</c> tag.</summary>
public static class DropReasons
{
    /// <summary>The norn's buffer was full (the event that started the cut-off, and the buffered ones emptied).</summary>
    public const string QueueFull = "queue_full";

    /// <summary>The norn was cut off.</summary>
    public const string CutOff = "cut_off";

    /// <summary>The norn had expired.</summary>
    public const string Expired = "expired";

    /// <summary>The norn was deleted while events were buffered.</summary>
    public const string Deleted = "deleted";

    /// <summary>The host stopped before the event could be delivered.</summary>
    public const string Shutdown = "shutdown";

    /// <summary>Delivery failed after its retries, or with a final error.</summary>
    public const string Failed = "failed";

    /// <summary>The event had used up its filter budget before this norn's filter was tried.</summary>
    public const string FilterBudget = "filter_budget";

    /// <summary>Buffering the event would have passed the host's cap on buffered bytes (<c>Mimisbrunnr:Delivery:MaxBufferedBytes</c>).</summary>
    public const string HostBudget = "host_budget";

    /// <summary>Buffering the event would have passed its owner's cap on buffered bytes (<c>Mimisbrunnr:Delivery:MaxBufferedBytesPerOwner</c>).</summary>
    public const string OwnerBudget = "owner_budget";
}

/// <summary>Why a norn did not want an event, as recorded in the <c>reason</c> tag of <c>mimisbrunnr.filtered</c>.</summary>
public static class FilterReasons
{
    /// <summary>The norn's filter did not match the event.</summary>
    public const string Filter = "filter";

    /// <summary>The event and the norn share no partner id.</summary>
    public const string Partner = "partner";
}
