using Mimisbrunnr.Wrp;

namespace Mimisbrunnr.Routing;

/// <content>
/// The encoded delivery bodies of the event, worked out on first use and shared by every norn of the device, so that
/// a hundred norns asking for WRP JSON cost one encoding.
/// </content>
public sealed partial class RoutedEvent
{
    private byte[]? _wrpJson;
    private byte[]? _wrpMsgPack;

    /// <summary>The message as WRP JSON (<see cref="WrpJson.Encode(WrpMessage)"/>), encoded once and cached.</summary>
    /// <returns>The JSON bytes; shared, so never to be modified (hence read-only memory).</returns>
    /// <remarks>Thread-safe: two threads asking at once may both encode, but both get the same cached array.</remarks>
    public ReadOnlyMemory<byte> GetWrpJson()
    {
        var body = Volatile.Read(ref _wrpJson);
        if (body is null)
        {
            body = WrpJson.Encode(Message);
            body = Interlocked.CompareExchange(ref _wrpJson, body, null) ?? body;
        }

        return body;
    }

    /// <summary>The message as WRP msgpack (<see cref="WrpMsgPack.Encode(WrpMessage)"/>), encoded once and cached.</summary>
    /// <returns>The msgpack bytes; shared, so never to be modified (hence read-only memory).</returns>
    /// <remarks>
    /// Thread-safe: two threads asking at once may both encode, but both get the same cached array. A message decoded
    /// from bytes in wrp-go's form is not encoded again: its own bytes are the body.
    /// </remarks>
    public ReadOnlyMemory<byte> GetWrpMsgPack()
    {
        var body = Volatile.Read(ref _wrpMsgPack);
        if (body is null)
        {
            body = WrpMsgPack.EncodeShared(Message);
            body = Interlocked.CompareExchange(ref _wrpMsgPack, body, null) ?? body;
        }

        return body;
    }
}
