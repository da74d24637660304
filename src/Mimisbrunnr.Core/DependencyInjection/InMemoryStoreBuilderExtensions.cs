using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Mimisbrunnr.Storage;

namespace Mimisbrunnr.DependencyInjection;

/// <summary>Chooses the in-memory norn store.</summary>
public static class InMemoryStoreBuilderExtensions
{
    /// <summary>
    /// Keeps norns in process memory (<see cref="InMemoryNornStore"/>): nothing survives a restart. For tests and
    /// demos; this is also the default when no store is chosen.
    /// </summary>
    /// <param name="builder">The builder from <c>AddMimisbrunnr()</c>.</param>
    /// <returns>The builder.</returns>
    public static IMimisbrunnrBuilder UseInMemoryStore(this IMimisbrunnrBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        builder.Services.Replace(ServiceDescriptor.Singleton<INornStore, InMemoryNornStore>());
        return builder;
    }
}
