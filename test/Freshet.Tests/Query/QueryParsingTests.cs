using System.Net;
using Freshet.Aggregation;
using Freshet.Cli.Query;

namespace Freshet.Cli.Tests.Query;

/// <summary>The pieces of <c>freshet query</c> that need no server: key lists, times, addresses, and how values print.</summary>
public sealed class QueryParsingTests
{
    [Theory]
    [InlineData("i1,i2,i3", "i1|i2|i3")]
    [InlineData("u1/shoes,u2/bags", "u1+shoes|u2+bags")]
    [InlineData("i1,,i2,", "i1|i2")]
    [InlineData(@"a\,b/c\/d,e", "a,b+c/d|e")]
    [InlineData(@"C:\\x", @"C:\x")]
    public void Keys_CommaAndSlash_SplitKeysAndParts(string text, string expected)
    {
        var result = FreshetCommand.Create().Parse(["query", "vectors", "item", "--keys", text]);

        Assert.Empty(result.Errors);
        var keys = result.GetValue<string[][]>("--keys")!;
        Assert.Equal(expected, string.Join('|', keys.Select(k => string.Join('+', k))));
    }

    [Fact]
    public void Keys_Repeated_AreAllKept()
    {
        var result = FreshetCommand.Create().Parse(["query", "vectors", "item", "--keys", "a,b", "--keys", "c"]);

        Assert.Empty(result.Errors);
        Assert.Equal(["a", "b", "c"], result.GetValue<string[][]>("--keys")!.Select(k => Assert.Single(k)));
    }

    [Theory]
    [InlineData("1763719200000", 1_763_719_200_000L)]
    [InlineData("2025-11-21T10:00:00Z", 1_763_719_200_000L)]
    [InlineData("2025-11-21T11:00:00+01:00", 1_763_719_200_000L)]
    [InlineData("2025-11-21 10:00", 1_763_719_200_000L)]
    public void TryParseTime_EpochMillisecondsOrIso_IsUtcMilliseconds(string text, long expected)
    {
        Assert.True(QueryArguments.TryParseTime(text, out long ms, out string? error), error);
        Assert.Equal(expected, ms);
    }

    [Theory]
    [InlineData("now")]
    [InlineData("-5")]
    [InlineData("")]
    public void TryParseTime_NotATime_SaysWhatIsExpected(string text)
    {
        Assert.False(QueryArguments.TryParseTime(text, out _, out string? error));
        Assert.Contains("epoch milliseconds or ISO-8601", error, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("http://127.0.0.1:7700", "http://127.0.0.1:7700/")]
    [InlineData("localhost:7700", "http://localhost:7700/")]
    [InlineData("https://freshet.example.com/api/", "https://freshet.example.com/api/")]
    [InlineData("http://host:1/prefix", "http://host:1/prefix/")]
    public void TryServer_HttpAddress_IsABaseAddressEndingInSlash(string text, string expected)
    {
        Assert.True(QueryCommand.TryServer(text, out var server, out string? problem), problem);
        Assert.Equal(expected, server.ToString());
    }

    [Theory]
    [InlineData("ftp://host")]
    [InlineData("http://host:7700/?x=1")]
    [InlineData("")]
    public void TryServer_NotHttp_IsRefused(string text) =>
        Assert.False(QueryCommand.TryServer(text, out _, out _));

    [Theory]
    [InlineData(3.0, "3")]
    [InlineData(12.5, "12.5")]
    [InlineData(2.0 / 13, "0.153846")]
    [InlineData(1234567.0, "1234567")]
    public void Number_Value_PrintsExactlyInTheInvariantCulture(double value, string expected) =>
        Assert.Equal(expected, QueryFormat.Number(value));

    [Fact]
    public void Items_MoreThanShown_EndWithHowManyMore()
    {
        ItemValue[] items = [new("i1", 30), new("i2", 12, Error: 2), new("i3", 5), new("i4", 1)];

        Assert.Equal("i1 (30), i2 (12 ±2), … +2", QueryFormat.Items(items, 2, unicode: true));
        Assert.Equal("i1 (30), ... +3", QueryFormat.Items(items, 1, unicode: false));
    }

    [Fact]
    public void Items_LastK_ShowStringsAloneAndNumbersAsValues()
    {
        ItemValue[] items = [new("a", double.NaN, TimeMs: 2), new(null, 4.5, TimeMs: 1)];

        Assert.Equal("a, 4.5", QueryFormat.Items(items, 5, unicode: true));
    }

    [Fact]
    public void Instant_NearTheReference_DropsWhatItShares()
    {
        const long t = 1_763_719_200_000; // 2025-11-21T10:00:00Z
        var reference = new DateTime(2025, 11, 21, 12, 0, 0, DateTimeKind.Utc);

        Assert.Equal("10:00", QueryFormat.Instant(t, reference));
        Assert.Equal("11-20 10:00", QueryFormat.Instant(t - 86_400_000, reference));
        Assert.Equal("2025-11-21 10:00:01.500", QueryFormat.Instant(t + 1_500, null));
        Assert.Equal("2025-11-21 10:00 UTC", QueryFormat.Utc(t));
    }

    [Fact]
    public void Bar_HalfOfMax_IsHalfTheWidth()
    {
        Assert.Equal(new string('█', 5), QueryFormat.Bar(5, 10, 10, unicode: true));
        Assert.Equal("#####", QueryFormat.Bar(5, 10, 10, unicode: false));
        Assert.Equal("", QueryFormat.Bar(0, 10, 10, unicode: true));
    }

    [Fact]
    public void DescribeError_NotAProblemDocument_GivesTheStatusAndFirstLine()
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, "http://host/v1/stats");
        using var response = new HttpResponseMessage(HttpStatusCode.BadGateway) { ReasonPhrase = "Bad Gateway" };

        string message = QueryClient.DescribeError(request, response, "<html>upstream down</html>\n<body>");

        Assert.Equal("GET /v1/stats: the server answered 502 Bad Gateway: <html>upstream down</html>", message);
    }

    [Fact]
    public void DescribeError_FrameworkProblemWithoutDetail_UsesTheTitle()
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, "http://host/v2/nothing");
        using var response = new HttpResponseMessage(HttpStatusCode.NotFound);

        string message = QueryClient.DescribeError(request, response,
            """{"type":"https://tools.ietf.org/html/rfc9110#section-15.5.5","title":"Not Found","status":404}""");

        Assert.Equal("GET /v2/nothing: Not Found (404)", message);
    }
}
