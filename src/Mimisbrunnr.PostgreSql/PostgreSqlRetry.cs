using Microsoft.Extensions.Logging;
using Npgsql;

namespace Mimisbrunnr.PostgreSql;

/// <summary>
/// Retries store operations over transient failures, so that a server restart or a stale pooled connection costs a
/// caller a short delay instead of an error. A write is repeated only when it certainly did not run.
/// </summary>
internal sealed class PostgreSqlRetry
{
    private const int MaxAttempts = 3;

    private readonly NpgsqlDataSource _dataSource;
    private readonly ILogger _logger;

    /// <summary>Retries on the pool of <paramref name="dataSource"/> (cleared before each retry).</summary>
    public PostgreSqlRetry(NpgsqlDataSource dataSource, ILogger logger)
    {
        _dataSource = dataSource;
        _logger = logger;
    }

    /// <summary>
    /// Runs one operation on a pooled connection. Retried (with the pool cleared) when opening fails transiently,
    /// when the server answered that it ended the session (the statement did not run), and, for
    /// <paramref name="idempotent"/> operations, on any transient failure.
    /// </summary>
    public async ValueTask<T> RunAsync<T>(
        string operation,
        bool idempotent,
        Func<NpgsqlConnection, CancellationToken, Task<T>> action,
        CancellationToken cancellationToken)
    {
        for (var attempt = 1; ; attempt++)
        {
            NpgsqlConnection? connection = null;
            try
            {
                connection = await _dataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
                return await action(connection, cancellationToken).ConfigureAwait(false);
            }
            catch (Exception ex) when (attempt < MaxAttempts
                && !cancellationToken.IsCancellationRequested
                && (connection is null ? IsTransient(ex) : idempotent ? IsTransient(ex) : IsNotExecuted(ex)))
            {
                PostgreSqlLog.Retrying(_logger, operation, attempt, ex);
                _dataSource.Clear();
            }
            finally
            {
                if (connection is not null)
                {
                    await connection.DisposeAsync().ConfigureAwait(false);
                }
            }

            await Task.Delay(RetryDelay(attempt), cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>Whether a failed attempt of an idempotent operation that runs its own loop is worth another.</summary>
    public static bool CanRetry(int attempt, Exception exception, CancellationToken cancellationToken) =>
        attempt < MaxAttempts && IsTransient(exception) && !cancellationToken.IsCancellationRequested;

    /// <summary>
    /// Between the attempts of such a loop: logs, clears the pool (after a restart its other connections are stale
    /// too) and waits.
    /// </summary>
    public async Task BeforeRetryAsync(string operation, int attempt, Exception exception, CancellationToken cancellationToken)
    {
        PostgreSqlLog.Retrying(_logger, operation, attempt, exception);
        _dataSource.Clear();
        await Task.Delay(RetryDelay(attempt), cancellationToken).ConfigureAwait(false);
    }

    private static TimeSpan RetryDelay(int attempt) => TimeSpan.FromMilliseconds(50 * attempt);

    /// <summary>Any failure worth a retry of an idempotent operation: connection-level errors and the like.</summary>
    private static bool IsTransient(Exception exception) =>
        exception switch
        {
            PostgresException postgres => IsNotExecuted(postgres) || postgres.IsTransient,
            NpgsqlException npgsql => npgsql.IsTransient,
            TimeoutException => true,
            _ => false,
        };

    /// <summary>
    /// A server that answered a statement with the end of its session (administrator or crash shutdown, or "starting
    /// up") did not execute it: safe to retry even a write. A stale pooled connection after a restart fails so.
    /// </summary>
    private static bool IsNotExecuted(Exception exception) =>
        exception is PostgresException
        {
            SqlState: PostgresErrorCodes.AdminShutdown or PostgresErrorCodes.CrashShutdown or PostgresErrorCodes.CannotConnectNow,
        };
}
