namespace Mimisbrunnr.Wrp;

/// <summary>wrp-go's standard validator. (Placeholder: implemented by the codec work.)</summary>
public static class WrpValidator
{
    /// <summary>Validates a message; throws <see cref="WrpValidationException"/> naming the field and rule.</summary>
    /// <param name="message">The message.</param>
    public static void Validate(WrpMessage message) => throw new NotImplementedException();
}
