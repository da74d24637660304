using Mimisbrunnr.Testing.Http;
using Mimisbrunnr.Testing.Storage;

namespace Mimisbrunnr.Hosting.Tests;

/// <summary>A test class with a SQLite file of its own and a delivery sink on 127.0.0.1, both gone after each test.</summary>
public abstract class SinkAndDatabaseTest : IAsyncLifetime
{
    private protected TempSqliteDatabase Database { get; } = new();

    private protected SinkServer Sink { get; private set; } = null!;

    public virtual async ValueTask InitializeAsync() => Sink = await SinkServer.StartAsync();

    public virtual async ValueTask DisposeAsync()
    {
        await Sink.DisposeAsync();
        Database.Dispose();
        GC.SuppressFinalize(this);
    }

    /// <summary>A test host on this test's SQLite file.</summary>
    private protected Task<MimisbrunnrTestHost> StartHostAsync(Action<MimisbrunnrTestHostOptions>? configure = null) =>
        MimisbrunnrTestHost.StartAsync(o =>
        {
            o.UseSqlite(Database.Path);
            configure?.Invoke(o);
        });
}
