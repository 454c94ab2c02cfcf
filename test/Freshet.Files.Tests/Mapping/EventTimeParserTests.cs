using System.Text;
using Freshet.Files.Mapping;

namespace Freshet.Files.Tests;

public sealed class EventTimeParserTests
{
    [Theory]
    [InlineData("1396860669277", null, 1396860669277L)]
    [InlineData("1396860669277", "ms", 1396860669277L)]
    [InlineData("1396860669", "s", 1396860669000L)]
    [InlineData("1396860669.277", "s", 1396860669277L)]
    [InlineData("1396437466.94", "s", 1396437466940L)]
    [InlineData("1396860669.2779", "s", 1396860669277L)] // Fractions of a millisecond are dropped.
    [InlineData("1396860669277123", "us", 1396860669277L)]
    [InlineData("1396860669277123456", "ns", 1396860669277L)]
    [InlineData("1.396860669277e9", "s", 1396860669277L)]
    [InlineData(" 1396860669 ", "s", 1396860669000L)]
    public void TryParse_NumericTime_ConvertsTheUnitExactly(string text, string? unitName, long expected)
    {
        TimeUnit? unit = unitName is null ? null : MappingSpec.TryParseUnit(unitName, out var u) ? u : throw new ArgumentException(unitName);
        Assert.True(new EventTimeParser(unit, null).TryParse(Encoding.UTF8.GetBytes(text), out long ms, out string? error), error);
        Assert.Equal(expected, ms);
    }

    [Theory]
    [InlineData("2019-10-01 00:00:00 UTC", "2019-10-01T00:00:00Z")]
    [InlineData("2019-10-01T02:50:00Z", "2019-10-01T02:50:00Z")]
    [InlineData("2019-10-01T02:50:00.123Z", "2019-10-01T02:50:00.123Z")]
    [InlineData("2019-10-01T02:50:00", "2019-10-01T02:50:00Z")]
    [InlineData("2019-10-01T04:50:00+02:00", "2019-10-01T02:50:00Z")]
    [InlineData("2016-05-09", "2016-05-09T00:00:00Z")]
    public void TryParse_IsoTime_ReadsUtc(string text, string expectedUtc)
    {
        Assert.True(new EventTimeParser(null, null).TryParse(Encoding.UTF8.GetBytes(text), out long ms, out string? error), error);
        Assert.Equal(MappedFiles.Ms(expectedUtc), ms);
    }

    [Fact]
    public void TryParse_CustomFormat_ReadsUtc()
    {
        var parser = new EventTimeParser(null, "dd/MM/yyyy HH:mm");

        Assert.True(parser.TryParse("21/11/2026 10:30"u8, out long ms, out string? error), error);
        Assert.Equal(MappedFiles.Ms("2026-11-21T10:30:00Z"), ms);
        Assert.False(parser.TryParse("2026-11-21 10:30"u8, out _, out error));
        Assert.Contains("does not match --time-format 'dd/MM/yyyy HH:mm'", error, StringComparison.Ordinal);
    }

    [Fact]
    public void TryParse_EpochSecondsWithoutUnit_SaysToGiveTheUnit()
    {
        Assert.False(new EventTimeParser(null, null).TryParse("1511658000"u8, out _, out string? error));
        Assert.Contains("looks like epoch seconds", error, StringComparison.Ordinal);
        Assert.Contains("--time-unit s", error, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("yesterday", "is not a time")]
    [InlineData("2019-13-01 00:00:00", "is not a time")]
    [InlineData("99999999999999", "outside what events may have")]
    [InlineData("-5", "outside what events may have")]
    public void TryParse_BadTime_SaysWhy(string text, string message)
    {
        Assert.False(new EventTimeParser(TimeUnit.Seconds, null).TryParse(Encoding.UTF8.GetBytes(text), out _, out string? error));
        Assert.Contains(message, error, StringComparison.Ordinal);
    }
}
