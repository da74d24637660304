using System.Net;
using System.Text.Json;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Mimisbrunnr.Hosting;
using Mimisbrunnr.Testing;
using Mimisbrunnr.Testing.Http;

namespace Mimisbrunnr.Operability.Tests;

/// <summary>The sample server's <c>/openapi/v1.json</c> against the routes Mimisbrunnr maps and the JSON it returns.</summary>
public sealed class OpenApiTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Every_mapped_route_is_described_and_a_real_norn_matches_its_schema()
    {
        await using var sink = await SinkServer.StartAsync(Ct);
        await using var caduceus = await SinkServer.StartAsync(Ct);
        await using var server = await SampleServer.StartAsync(
            $"--Mimisbrunnr:Webhook:RegistrationUrl={caduceus.Url("/hook")}",
            "--Mimisbrunnr:Webhook:AllowInsecure=true",
            "--Mimisbrunnr:Webhook:PublicUrl=https://mimisbrunnr.example/events");
        using var document = JsonDocument.Parse(await server.Client.GetStringAsync("openapi/v1.json", Ct));
        var root = document.RootElement;
        var paths = root.GetProperty("paths");

        // Every route that MapMimisbrunnr (with webhook registration) and the dashboard map, read from a host's endpoint
        // data source, is in the document unless it asked to be left out.
        var routes = await MappedRoutesAsync();
        Assert.Contains(("GET", "/norns/{id}/attempts"), routes);
        Assert.Contains(("POST", "/webhook/cutoff"), routes);
        foreach (var (method, pattern) in routes)
        {
            Assert.True(
                paths.TryGetProperty(pattern, out var path) && path.TryGetProperty(method.ToLowerInvariant(), out _),
                $"{method} {pattern} is not in the OpenAPI document");
        }

        Assert.False(paths.TryGetProperty("/dashboard", out _));
        Assert.False(paths.TryGetProperty("/metrics", out _));

        // Security: Basic or Bearer on /norns, the HMAC signature on /events and the cut-off notice.
        var schemes = root.GetProperty("components").GetProperty("securitySchemes");
        Assert.Equal("basic", schemes.GetProperty("basic").GetProperty("scheme").GetString());
        Assert.Equal("bearer", schemes.GetProperty("bearer").GetProperty("scheme").GetString());
        Assert.Equal("X-Webpa-Signature", schemes.GetProperty("webpaSignature").GetProperty("name").GetString());
        Assert.Equal(["basic", "bearer"], Requirements(paths.GetProperty("/norns/{id}").GetProperty("get")));
        Assert.Equal(["webpaSignature"], Requirements(paths.GetProperty("/events").GetProperty("post")));
        Assert.Equal(["webpaSignature"], Requirements(paths.GetProperty("/webhook/cutoff").GetProperty("post")));
        Assert.Contains("HMAC", paths.GetProperty("/events").GetProperty("post").GetProperty("description").GetString(), StringComparison.Ordinal);

        // Responses: the norn schema, and problem details for errors.
        var get = paths.GetProperty("/norns/{id}").GetProperty("get").GetProperty("responses");
        Assert.Equal("#/components/schemas/NornResponse", get.GetProperty("200").GetProperty("content").GetProperty("application/json").GetProperty("schema").GetProperty("$ref").GetString());
        Assert.True(get.GetProperty("404").GetProperty("content").TryGetProperty("application/problem+json", out _));
        Assert.Equal(
            "#/components/schemas/NornRequest",
            paths.GetProperty("/norns").GetProperty("post").GetProperty("requestBody").GetProperty("content").GetProperty("application/json").GetProperty("schema").GetProperty("$ref").GetString());

        // A real norn with a real delivery status: every property the server returns is in the schema.
        using var created = await server.CreateNornAsync("mac:112233445566", sink.Url("/hook"), filterEvent: "online$");
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        var id = JsonDocument.Parse(await created.Content.ReadAsStringAsync(Ct)).RootElement.GetProperty("id").GetString();
        await server.PostEventAsync(TestEvents.DeviceStatus("mac:112233445566"));
        await sink.WaitForRequestsAsync(1, "/hook");
        var norn = await Eventually.ValueAsync(
            async () => JsonDocument.Parse(await server.Client.GetStringAsync($"norns/{id}", Ct)).RootElement.Clone(),
            n => n.GetProperty("delivery").TryGetProperty("lastSuccessAt", out _),
            "the delivery in the norn's status",
            TimeSpan.FromSeconds(30));
        var schemas = root.GetProperty("components").GetProperty("schemas");
        AssertMatches(norn, schemas, Resolve(schemas, "#/components/schemas/NornResponse"), "$");
        var attempts = JsonDocument.Parse(await server.Client.GetStringAsync($"norns/{id}/attempts", Ct)).RootElement;
        AssertMatches(attempts, schemas, Resolve(schemas, "#/components/schemas/NornDeliveryAttempts"), "$");
        Assert.NotEmpty(attempts.GetProperty("attempts").EnumerateArray());
    }

    /// <summary>The routes a host maps with Mimisbrunnr, webhook registration and the dashboard: (method, pattern).</summary>
    private static async Task<List<(string Method, string Pattern)>> MappedRoutesAsync()
    {
        await using var host = await MimisbrunnrTestHost.StartAsync(o =>
        {
            o.Mimisbrunnr = builder => builder.AddDashboard().AddWebhookRegistration(options =>
            {
                options.RegistrationUrl = new Uri("http://127.0.0.1:9/hook");
                options.AllowInsecure = true;
                options.PublicUrl = new Uri("https://mimisbrunnr.example/events");
            });
            o.Map = app => app.MapMimisbrunnrDashboard();
        });
        var routes = new List<(string, string)>();
        foreach (var endpoint in host.Services.GetRequiredService<EndpointDataSource>().Endpoints.OfType<RouteEndpoint>())
        {
            if (endpoint.Metadata.GetMetadata<IExcludeFromDescriptionMetadata>() is { ExcludeFromDescription: true })
            {
                continue;
            }

            var pattern = "/" + endpoint.RoutePattern.RawText!.Trim('/');
            foreach (var method in endpoint.Metadata.GetMetadata<IHttpMethodMetadata>()?.HttpMethods ?? [])
            {
                routes.Add((method, pattern));
            }
        }

        return routes;
    }

    private static string[] Requirements(JsonElement operation) =>
        [.. operation.GetProperty("security").EnumerateArray().SelectMany(r => r.EnumerateObject().Select(p => p.Name))];

    private static JsonElement Resolve(JsonElement schemas, string reference) =>
        schemas.GetProperty(reference["#/components/schemas/".Length..]);

    /// <summary>Every property of <paramref name="value"/> (recursively) is declared by <paramref name="schema"/>.</summary>
    private static void AssertMatches(JsonElement value, JsonElement schemas, JsonElement schema, string path)
    {
        if (schema.TryGetProperty("$ref", out var reference))
        {
            AssertMatches(value, schemas, Resolve(schemas, reference.GetString()!), path);
            return;
        }

        if (schema.TryGetProperty("oneOf", out var oneOf) || schema.TryGetProperty("anyOf", out oneOf))
        {
            // Nullable references: { oneOf: [ { type: null }, { $ref } ] }.
            var options = oneOf.EnumerateArray().Where(o => !(o.TryGetProperty("type", out var t) && t.ValueKind == JsonValueKind.String && t.GetString() == "null")).ToList();
            AssertMatches(value, schemas, Assert.Single(options), path);
            return;
        }

        switch (value.ValueKind)
        {
            case JsonValueKind.Object when schema.TryGetProperty("properties", out var properties):
                foreach (var property in value.EnumerateObject())
                {
                    Assert.True(properties.TryGetProperty(property.Name, out var propertySchema), $"{path}.{property.Name} is not in the schema");
                    AssertMatches(property.Value, schemas, propertySchema, $"{path}.{property.Name}");
                }

                break;
            case JsonValueKind.Object:
                Assert.True(schema.TryGetProperty("additionalProperties", out _), $"{path} is an object the schema does not describe");
                break;
            case JsonValueKind.Array:
                Assert.True(schema.TryGetProperty("items", out var items), $"{path} is an array the schema does not describe");
                foreach (var item in value.EnumerateArray())
                {
                    AssertMatches(item, schemas, items, path + "[]");
                }

                break;
        }
    }
}
