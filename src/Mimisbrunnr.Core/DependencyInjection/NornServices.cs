namespace Mimisbrunnr.DependencyInjection;

/// <summary>Registers the norn side: registry, norn service, routing, expiry sweeping, default store.</summary>
internal static class NornServices
{
    public static void Add(IMimisbrunnrBuilder builder) => ArgumentNullException.ThrowIfNull(builder);
}
