using System.Reflection;
using System.Runtime.CompilerServices;
using Mimisbrunnr.Norns;

namespace Mimisbrunnr.Tests.Norns;

/// <summary>No public type that holds a secret shows it in ToString() (records print every member by default).</summary>
public sealed class SecretsInTextTests
{
    public static TheoryData<string> TypesWithSecrets => [.. SecretHolders().Select(t => t.FullName!)];

    [Fact]
    public void The_types_that_hold_secrets_are_the_ones_expected() =>
        Assert.Equal(
            ["Mimisbrunnr.Norns.HttpDestination", "Mimisbrunnr.Norns.HttpDestinationRequest", "Mimisbrunnr.Norns.SqsDestination", "Mimisbrunnr.Norns.SqsDestinationRequest"],
            SecretHolders().Select(t => t.FullName!).Order(StringComparer.Ordinal));

    [Theory]
    [MemberData(nameof(TypesWithSecrets))]
    public void ToString_says_whether_a_secret_is_set_but_not_what_it_is(string typeName)
    {
        var type = typeof(Norn).Assembly.GetType(typeName)!;
        var instance = RuntimeHelpers.GetUninitializedObject(type);
        foreach (var property in StringProperties(type))
        {
            property.SetValue(instance, "value-of-" + property.Name);
        }

        var text = instance.ToString()!;

        foreach (var property in StringProperties(type))
        {
            if (IsSecret(property))
            {
                Assert.DoesNotContain("value-of-" + property.Name, text, StringComparison.Ordinal);
                Assert.Contains(property.Name + " = ***", text, StringComparison.Ordinal);
            }
            else
            {
                Assert.Contains("value-of-" + property.Name, text, StringComparison.Ordinal); // everything else still shows
            }
        }
    }

    [Fact]
    public void A_whole_norn_and_a_whole_request_print_no_secret()
    {
        var norn = new Norn
        {
            Id = "id",
            DeviceId = "mac:112233445566",
            Owner = "alice",
            Destination = new NornDestination
            {
                Http = new HttpDestination { Url = "https://a.example/", Secret = "hmac-s3cret" },
                Sqs = new SqsDestination { QueueUrl = "q", SecretAccessKey = "aws-s3cret", SessionToken = "sts-s3cret", Secret = "notice-s3cret" },
            },
            ExpiresAt = DateTimeOffset.UnixEpoch,
            CreatedAt = DateTimeOffset.UnixEpoch,
            UpdatedAt = DateTimeOffset.UnixEpoch,
        };
        var request = new NornRequest
        {
            DeviceId = "mac:112233445566",
            Destination = new DestinationRequest
            {
                Http = new HttpDestinationRequest { Url = "https://a.example/", Secret = "hmac-s3cret" },
                Sqs = new SqsDestinationRequest { QueueUrl = "q", AccessKeyId = "AKIA", SecretAccessKey = "aws-s3cret", SessionToken = "sts-s3cret" },
            },
        };

        foreach (var text in new[] { norn.ToString(), request.ToString() })
        {
            Assert.DoesNotContain("s3cret", text, StringComparison.Ordinal);
            Assert.Contains("https://a.example/", text, StringComparison.Ordinal);
        }
    }

    private static IEnumerable<Type> SecretHolders() =>
        typeof(Norn).Assembly.GetExportedTypes().Where(t => StringProperties(t).Any(IsSecret));

    private static IEnumerable<PropertyInfo> StringProperties(Type type) =>
        type.GetProperties(BindingFlags.Public | BindingFlags.Instance).Where(p => p.PropertyType == typeof(string) && p.CanWrite);

    private static bool IsSecret(PropertyInfo property) =>
        property.Name.Contains("Secret", StringComparison.Ordinal) || property.Name.Contains("Token", StringComparison.Ordinal);
}
