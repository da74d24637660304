namespace Mimisbrunnr.Norns;

/// <summary>
/// A norn as the in-memory registry holds it: the stored norn plus what is worked out once per version (the compiled
/// filter). Replaced as a whole when the norn is updated, so readers never see a half-updated norn.
/// </summary>
public sealed partial class RegisteredNorn
{
    /// <summary>Wraps a stored norn.</summary>
    /// <param name="norn">The stored norn.</param>
    public RegisteredNorn(Norn norn)
    {
        ArgumentNullException.ThrowIfNull(norn);
        Norn = norn;
    }

    /// <summary>The stored norn.</summary>
    public Norn Norn { get; }

    /// <summary>The norn id.</summary>
    public string Id => Norn.Id;
}
