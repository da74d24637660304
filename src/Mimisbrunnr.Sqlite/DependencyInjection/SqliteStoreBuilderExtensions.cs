using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging;
using Mimisbrunnr.Sqlite;
using Mimisbrunnr.Storage;

namespace Mimisbrunnr.DependencyInjection;

/// <summary>Chooses the SQLite norn store.</summary>
public static class SqliteStoreBuilderExtensions
{
    /// <summary>
    /// Stores norns in one SQLite file (<see cref="SqliteNornStore"/>), durable across restarts, for a single host.
    /// Replaces the in-memory default.
    /// </summary>
    /// <param name="builder">The builder from <c>AddMimisbrunnr()</c>.</param>
    /// <param name="connectionString">A connection string naming the file, for example <c>Data Source=norns.db</c>.</param>
    /// <param name="synchronous">
    /// How hard each commit waits for the disk: <see cref="SqliteSynchronous.Full"/> (the default) keeps registrations
    /// through a power loss; <see cref="SqliteSynchronous.Normal"/> is faster and keeps them through a process crash.
    /// </param>
    /// <returns>The builder.</returns>
    public static IMimisbrunnrBuilder UseSqliteStore(
        this IMimisbrunnrBuilder builder, string connectionString, SqliteSynchronous synchronous = SqliteSynchronous.Full)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentException.ThrowIfNullOrEmpty(connectionString);

        // Fail at registration, not at first use, on a connection string without a file.
        _ = SqliteNornStore.CheckConnectionString(connectionString);
        builder.Services.Replace(ServiceDescriptor.Singleton<INornStore>(
            sp => new SqliteNornStore(connectionString, sp.GetService<ILogger<SqliteNornStore>>(), synchronous)));
        return builder;
    }
}
