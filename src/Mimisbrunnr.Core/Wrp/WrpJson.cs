namespace Mimisbrunnr.Wrp;

/// <summary>WRP JSON codec, byte-compatible with wrp-go v5. (Placeholder: implemented by the codec work.)</summary>
public static class WrpJson
{
    /// <summary>Decodes one WRP message from UTF-8 JSON.</summary>
    /// <param name="utf8Json">The JSON bytes.</param>
    /// <returns>The message.</returns>
    public static WrpMessage Decode(ReadOnlySpan<byte> utf8Json) => throw new NotImplementedException();

    /// <summary>Encodes a message as UTF-8 JSON exactly as wrp-go writes it (without the trailing newline).</summary>
    /// <param name="message">The message.</param>
    /// <returns>The JSON bytes.</returns>
    public static byte[] Encode(WrpMessage message) => throw new NotImplementedException();
}
