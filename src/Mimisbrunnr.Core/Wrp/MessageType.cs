namespace Mimisbrunnr.Wrp;

/// <summary>
/// The WRP message type, with the numeric values wrp-go v5 puts on the wire (<c>msg_type</c>).
/// </summary>
/// <remarks>
/// The underlying type is <see cref="long"/> because wrp-go's <c>MessageType</c> is an <c>int64</c>: a decoder keeps
/// any integer it reads, and validation rejects values outside <see cref="Authorization"/>..<see cref="Unknown"/>.
/// </remarks>
#pragma warning disable CA1028 // The wire value is an int64 in wrp-go; keeping it avoids silent truncation.
public enum MessageType : long
#pragma warning restore CA1028
{
    /// <summary>Invalid (0): the value a message gets when <c>msg_type</c> is missing.</summary>
    Invalid0 = 0,

    /// <summary>Invalid (1).</summary>
    Invalid1 = 1,

    /// <summary>Authorization (2): carries only a status.</summary>
    Authorization = 2,

    /// <summary>Simple request/response (3).</summary>
    SimpleRequestResponse = 3,

    /// <summary>Simple event (4): the type devices use to report events.</summary>
    SimpleEvent = 4,

    /// <summary>CRUD create (5).</summary>
    Create = 5,

    /// <summary>CRUD retrieve (6).</summary>
    Retrieve = 6,

    /// <summary>CRUD update (7).</summary>
    Update = 7,

    /// <summary>CRUD delete (8).</summary>
    Delete = 8,

    /// <summary>Service registration (9).</summary>
    ServiceRegistration = 9,

    /// <summary>Service alive (10).</summary>
    ServiceAlive = 10,

    /// <summary>Unknown (11): valid on the wire, carries no fields.</summary>
    Unknown = 11,
}
