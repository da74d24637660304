using Microsoft.AspNetCore.Http.Metadata;
using Microsoft.AspNetCore.OpenApi;
using Microsoft.OpenApi;

namespace Mimisbrunnr.Server;

/// <summary>
/// Completes the OpenAPI document with what endpoint metadata cannot say: the security schemes (Basic and Bearer for
/// <c>/norns</c>, the HMAC signature for <c>/events</c> and the Caduceus cut-off notice) and the query parameters of
/// <c>GET /norns</c>, which its handler reads itself.
/// </summary>
internal static class MimisbrunnrOpenApi
{
    private const string Basic = "basic";
    private const string Bearer = "bearer";
    private const string Signature = "webpaSignature";

    public static Task DescribeDocumentAsync(OpenApiDocument document, OpenApiDocumentTransformerContext context, CancellationToken cancellationToken)
    {
        document.Info.Title = "Mimisbrunnr";
        document.Info.Description =
            "Per-device event delivery for XMiDT. /norns registers and manages norns (device + destination + ttl); "
            + "/events receives Caduceus's signed WRP events and routes them to the norns of their device.";
        document.Components ??= new OpenApiComponents();
        document.Components.SecuritySchemes ??= new Dictionary<string, IOpenApiSecurityScheme>(StringComparer.Ordinal);
        document.Components.SecuritySchemes[Basic] = new OpenApiSecurityScheme
        {
            Type = SecuritySchemeType.Http,
            Scheme = "basic",
            Description = "The sample server's users (Server:Users); the user name owns the norns it registers.",
        };
        document.Components.SecuritySchemes[Bearer] = new OpenApiSecurityScheme
        {
            Type = SecuritySchemeType.Http,
            Scheme = "bearer",
            BearerFormat = "JWT",
            Description = "A JWT when Server:Jwt is configured; its sub (or the configured claim) owns the norns.",
        };
        document.Components.SecuritySchemes[Signature] = new OpenApiSecurityScheme
        {
            Type = SecuritySchemeType.ApiKey,
            In = ParameterLocation.Header,
            Name = "X-Webpa-Signature",
            Description = "Not a key: an HMAC. sha1=<lowercase hex HMAC-SHA1 of the exact request body>, keyed with the secret "
                + "shared with Caduceus (Mimisbrunnr:Events:Secret), as Caduceus signs its deliveries.",
        };
        return Task.CompletedTask;
    }

    public static Task DescribeOperationAsync(OpenApiOperation operation, OpenApiOperationTransformerContext context, CancellationToken cancellationToken)
    {
        var metadata = context.Description.ActionDescriptor.EndpointMetadata;
        var tags = metadata.OfType<ITagsMetadata>().SelectMany(t => t.Tags).ToHashSet(StringComparer.Ordinal);
        var document = context.Document;
        if (document is null)
        {
            return Task.CompletedTask;
        }

        if (tags.Contains("Norns"))
        {
            // Either scheme (two alternative requirements).
            operation.Security =
            [
                new OpenApiSecurityRequirement { [new OpenApiSecuritySchemeReference(Basic, document)] = [] },
                new OpenApiSecurityRequirement { [new OpenApiSecuritySchemeReference(Bearer, document)] = [] },
            ];
        }
        else if (tags.Contains("Events") || tags.Contains("Webhook"))
        {
            operation.Security = [new OpenApiSecurityRequirement { [new OpenApiSecuritySchemeReference(Signature, document)] = [] }];
        }

        if (metadata.OfType<IEndpointNameMetadata>().Any(n => n.EndpointName == "Mimisbrunnr.ListNorns"))
        {
            operation.Parameters ??= [];
            operation.Parameters.Add(Query("limit", JsonSchemaType.Integer, "Page size, 1 to 1000 (default 100)."));
            operation.Parameters.Add(Query("after", JsonSchemaType.String, "Return norns with ids after this one (from the Link header)."));
            operation.Parameters.Add(Query("deviceId", JsonSchemaType.String, "Only this device's norns (any accepted spelling)."));
        }

        return Task.CompletedTask;
    }

    private static OpenApiParameter Query(string name, JsonSchemaType type, string description) => new()
    {
        Name = name,
        In = ParameterLocation.Query,
        Required = false,
        Description = description,
        Schema = new OpenApiSchema { Type = type },
    };
}
