using Microsoft.Extensions.DependencyInjection;

namespace Mimisbrunnr.DependencyInjection;

/// <summary>Returned by <c>AddMimisbrunnr()</c>; providers (stores, destinations) chain off it.</summary>
public interface IMimisbrunnrBuilder
{
    /// <summary>The service collection being configured.</summary>
    IServiceCollection Services { get; }
}
