using Mimisbrunnr.ConsumerSample;

// A consumer of Mimisbrunnr: registers a norn for one device pointing at its own /deliveries endpoint, verifies and
// prints every delivery, renews the norn before it expires, and deletes it on shutdown. See ConsumerApp.
try
{
    await ConsumerApp.Create(args).RunAsync();
    return 0;
}
catch (InvalidOperationException ex) when (ex.Message.StartsWith("Invalid configuration", StringComparison.Ordinal))
{
    Console.Error.WriteLine(ex.Message);
    return 2;
}
