using Amazon.SQS.Model;

namespace Mimisbrunnr.Sqs.Tests;

/// <summary>
/// A hand-written SQS client: records every request and answers from a script (an exception, or batch entries to fail
/// with a code); by default everything succeeds.
/// </summary>
internal sealed class FakeSqsClient : ISqsClient
{
    private readonly Lock _lock = new();
    private readonly Queue<Exception> _singleFaults = new();
    private readonly Queue<Exception> _batchFaults = new();
    private readonly Queue<Dictionary<string, (string Code, bool SenderFault)>> _entryFaults = new();

    public List<SendMessageRequest> Singles { get; } = [];

    public List<SendMessageBatchRequest> Batches { get; } = [];

    /// <summary>Every request in order: "single" or "batch:n".</summary>
    public List<string> Calls { get; } = [];

    public int Disposed { get; private set; }

    /// <summary>The next <c>SendMessage</c> throws <paramref name="exception"/>.</summary>
    public void FailNextSingle(Exception exception)
    {
        lock (_lock)
        {
            _singleFaults.Enqueue(exception);
        }
    }

    /// <summary>The next <c>SendMessageBatch</c> throws <paramref name="exception"/>.</summary>
    public void FailNextBatch(Exception exception)
    {
        lock (_lock)
        {
            _batchFaults.Enqueue(exception);
        }
    }

    /// <summary>The next batch request fails these entries (by id) with a code.</summary>
    public void FailNextBatchEntries(Dictionary<string, (string Code, bool SenderFault)> entries)
    {
        lock (_lock)
        {
            _entryFaults.Enqueue(entries);
        }
    }

    public Task<SendMessageResponse> SendMessageAsync(SendMessageRequest request, CancellationToken cancellationToken)
    {
        lock (_lock)
        {
            Calls.Add("single");
            Singles.Add(request);
            if (_singleFaults.TryDequeue(out var exception))
            {
                return Task.FromException<SendMessageResponse>(exception);
            }
        }

        return Task.FromResult(new SendMessageResponse { MessageId = Guid.NewGuid().ToString() });
    }

    public Task<SendMessageBatchResponse> SendMessageBatchAsync(SendMessageBatchRequest request, CancellationToken cancellationToken)
    {
        Dictionary<string, (string Code, bool SenderFault)>? failures;
        lock (_lock)
        {
            Calls.Add("batch:" + request.Entries.Count);
            Batches.Add(request);
            if (_batchFaults.TryDequeue(out var exception))
            {
                return Task.FromException<SendMessageBatchResponse>(exception);
            }

            _entryFaults.TryDequeue(out failures);
        }

        var response = new SendMessageBatchResponse { Successful = [], Failed = [] };
        foreach (var entry in request.Entries)
        {
            if (failures is not null && failures.TryGetValue(entry.Id, out var failure))
            {
                response.Failed.Add(new BatchResultErrorEntry { Id = entry.Id, Code = failure.Code, SenderFault = failure.SenderFault, Message = "scripted" });
            }
            else
            {
                response.Successful.Add(new SendMessageBatchResultEntry { Id = entry.Id, MessageId = Guid.NewGuid().ToString() });
            }
        }

        return Task.FromResult(response);
    }

    public void Dispose() => Disposed++;
}

/// <summary>Creates <see cref="FakeSqsClient"/>s and remembers them with their settings.</summary>
internal sealed class FakeSqsClientFactory : ISqsClientFactory
{
    public List<(SqsClientSettings Settings, FakeSqsClient Client)> Created { get; } = [];

    public FakeSqsClient Last => Created[^1].Client;

    public ISqsClient Create(SqsClientSettings settings)
    {
        var client = new FakeSqsClient();
        lock (Created)
        {
            Created.Add((settings, client));
        }

        return client;
    }
}
