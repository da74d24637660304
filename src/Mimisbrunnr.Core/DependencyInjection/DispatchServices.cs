namespace Mimisbrunnr.DependencyInjection;

/// <summary>Registers the delivery side: dispatcher pool, HTTP delivery, destination guard, metrics.</summary>
internal static class DispatchServices
{
    public static void Add(IMimisbrunnrBuilder builder) => ArgumentNullException.ThrowIfNull(builder);
}
