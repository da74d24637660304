using System.Buffers;

namespace Mimisbrunnr.Wrp;

/// <summary>WRP msgpack codec, byte-compatible with wrp-go v5. (Placeholder: implemented by the codec work.)</summary>
public static class WrpMsgPack
{
    /// <summary>Decodes one WRP message.</summary>
    /// <param name="data">The msgpack bytes.</param>
    /// <returns>The message.</returns>
    public static WrpMessage Decode(ReadOnlySpan<byte> data) => throw new NotImplementedException();

    /// <summary>Encodes a message into a buffer writer.</summary>
    /// <param name="message">The message.</param>
    /// <param name="writer">The destination.</param>
    public static void Encode(WrpMessage message, IBufferWriter<byte> writer) => throw new NotImplementedException();

    /// <summary>Encodes a message to a new array.</summary>
    /// <param name="message">The message.</param>
    /// <returns>The msgpack bytes.</returns>
    public static byte[] Encode(WrpMessage message) => throw new NotImplementedException();
}
