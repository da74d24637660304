using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging;
using Mimisbrunnr.PostgreSql;
using Mimisbrunnr.Storage;

namespace Mimisbrunnr.DependencyInjection;

/// <summary>Chooses the PostgreSQL norn store.</summary>
public static class PostgreSqlStoreBuilderExtensions
{
    /// <summary>
    /// Stores norns in a PostgreSQL database (<see cref="PostgreSqlNornStore"/>) that several host instances share:
    /// each instance keeps the full index and follows the others' writes through LISTEN/NOTIFY, reloading after a
    /// reconnect. Replaces the in-memory default.
    /// </summary>
    /// <param name="builder">The builder from <c>AddMimisbrunnr()</c>.</param>
    /// <param name="connectionString">An Npgsql connection string, for example <c>Host=db;Database=mimisbrunnr;Username=app;Password=...</c>.</param>
    /// <returns>The builder.</returns>
    /// <exception cref="ArgumentException">The connection string cannot be parsed or names no host.</exception>
    public static IMimisbrunnrBuilder UsePostgreSqlStore(this IMimisbrunnrBuilder builder, string connectionString)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentException.ThrowIfNullOrEmpty(connectionString);

        // Fail at registration, not at first use, on a connection string that names no server.
        _ = PostgreSqlNornStore.CheckConnectionString(connectionString);
        builder.Services.Replace(ServiceDescriptor.Singleton<INornStore>(
            sp => new PostgreSqlNornStore(connectionString, sp.GetService<ILogger<PostgreSqlNornStore>>())));
        return builder;
    }
}
