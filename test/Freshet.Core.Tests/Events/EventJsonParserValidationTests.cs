using System.Text;
using Freshet.Events;

namespace Freshet.Tests.Events;

/// <summary>
/// Input that used to crash the parser (a 500 that dropped the whole request) or slip through it: lone UTF-16
/// surrogates, non-finite and out-of-range numbers, repeated keys, a byte-order mark, arrays where an event belongs.
/// Each bad event must be rejected alone, with its index and a message a user can act on.
/// </summary>
public sealed class EventJsonParserValidationTests
{
    private const string Ok = "\"type\": \"v\", \"time\": 1763719200000";
    private readonly StringInterner _strings = new();
    private readonly EventBatch _batch = new(4);
    private readonly List<EventError> _errors = [];

    private int Parse(string json) => Parse(Encoding.UTF8.GetBytes(json));

    private int Parse(byte[] utf8) => new EventJsonParser(_strings).Parse(utf8, _batch, _errors);

    // By text: the parser interns only what the interner already holds; other names and values stay local to the batch.
    private string[] Items() => Enumerable.Range(0, _batch.Count).Select(i => Text(i, "item")).ToArray();

    private string Text(int index, string field)
    {
        foreach (var v in _batch.FieldsOf(index))
        {
            if (_batch.StringOf(v.NameId, _strings) == field)
            {
                return v.Kind == FieldKind.String ? _batch.StringOf(v.StringId, _strings) : v.ToString();
            }
        }

        return "(none)";
    }

    [Theory]
    [InlineData("""{"type": "v", "time": 1763719200000, "item": "\ud800"}""", "item", "\\ud800")]
    [InlineData("""{"type": "v", "time": 1763719200000, "item": "x\udc00y"}""", "item", "\\udc00")]
    [InlineData("""{"type": "v", "time": 1763719200000, "item": "\ud800\u0041"}""", "item", "\\ud800")]
    [InlineData("""{"type": "v", "time": 1763719200000, "a\ud800": 1}""", null, "\\ud800")]
    [InlineData("""{"type": "\ud800", "time": 1763719200000}""", "type", "\\ud800")]
    [InlineData("""{"id": "\udbff", "type": "v", "time": 1763719200000}""", "id", "\\udbff")]
    [InlineData("""{"type": "v", "time": "\ud800", "item": "q"}""", "time", "\\ud800")]
    public void Parse_LoneSurrogateInAnyString_RejectsThatEventAloneInNdjsonAndArrays(string bad, string? field, string surrogate)
    {
        string good1 = $$"""{{{Ok}}, "item": "a"}""";
        string good2 = $$"""{{{Ok}}, "item": "b"}""";

        Parse($"{good1}\n{bad}\n{good2}\n");
        Parse($"[{good1}, {bad}, {good2}]");

        Assert.Equal(["a", "b", "a", "b"], Items());
        Assert.Equal(2, _errors.Count);
        Assert.All(_errors, e =>
        {
            Assert.Equal(1, e.Index);
            Assert.Equal(EventRejectReason.InvalidString, e.Reason);
            Assert.Equal(field, e.Field);
            Assert.Contains(surrogate, e.Message);
            Assert.Contains("lone UTF-16 surrogate", e.Message);
        });
    }

    [Fact]
    public void Parse_ValidSurrogatePair_IsAccepted()
    {
        Parse($$"""{{{Ok}}, "item": "\ud83d\ude00"}""");

        Assert.Empty(_errors);
        Assert.Equal(["\U0001F600"], Items());
    }

    [Fact]
    public void Parse_InvalidUtf8InAString_RejectsThatEventAlone()
    {
        var body = Encoding.UTF8.GetBytes($$"""{{{Ok}}, "item": "a"}""" + "\n" + $$"""{{{Ok}}, "item": "X"}""" + "\n" + $$"""{{{Ok}}, "item": "b"}""");
        int x = Array.IndexOf(body, (byte)'X');
        body[x] = 0xC3; // A lead byte followed by '"': not UTF-8.

        Parse(body);

        Assert.Equal(["a", "b"], Items());
        var error = Assert.Single(_errors);
        Assert.Equal(1, error.Index);
        Assert.Equal(EventRejectReason.InvalidString, error.Reason);
        Assert.Contains("UTF-8", error.Message);
    }

    [Theory]
    [InlineData("1e400")]
    [InlineData("-1e400")]
    [InlineData("1e101")]
    [InlineData("-2.5e150")]
    public void Parse_NumberOutsideTheAcceptedRange_RejectsThatEventNamingFieldValueAndLimit(string number)
    {
        Parse($$"""
            {{{Ok}}, "item": "a", "price": 1e100}
            {{{Ok}}, "item": "x", "price": {{number}}}
            """);
        Parse($$"""[{{{Ok}}, "item": "b", "price": -1e100}, {{{Ok}}, "item": "y", "price": {{number}}}]""");

        Assert.Equal(["a", "b"], Items());
        Assert.Equal([1, 1], _errors.Select(e => e.Index));
        Assert.All(_errors, e =>
        {
            Assert.Equal(EventRejectReason.InvalidNumber, e.Reason);
            Assert.Equal("price", e.Field);
            Assert.Contains("'price'", e.Message);
            Assert.Contains(number, e.Message);
            Assert.Contains("1e100", e.Message);
        });
    }

    [Fact]
    public void Parse_FiveThousandDigitNumber_IsRejectedWithAShortMessage()
    {
        string digits = new('9', 5000);
        Parse($$"""[{{{Ok}}, "item": "a"}, {{{Ok}}, "price": {{digits}}}, {{{Ok}}, "item": "b"}]""");

        Assert.Equal(["a", "b"], Items());
        var error = Assert.Single(_errors);
        Assert.Equal(1, error.Index);
        Assert.Equal(EventRejectReason.InvalidNumber, error.Reason);
        Assert.Equal("price", error.Field);
        Assert.True(error.Message.Length < 300, error.Message);
    }

    [Theory]
    [InlineData("1e400")]
    [InlineData("17637192000001e400")]
    [InlineData("1763719200000.5")]
    public void Parse_TimeThatIsNotWholeMilliseconds_SaysWhatIsWrongWithTheValue(string time)
    {
        Parse($$"""{"type": "v", "time": {{time}}}""");

        var error = Assert.Single(_errors);
        Assert.Equal(EventRejectReason.InvalidHeader, error.Reason);
        Assert.Equal("time", error.Field);
        Assert.Contains(time.Length > 40 ? time[..40] : time, error.Message);
        if (time.Contains("e400", StringComparison.Ordinal))
        {
            Assert.DoesNotContain("fraction", error.Message);
            Assert.Contains("out of range", error.Message);
        }
        else
        {
            Assert.Contains("whole", error.Message);
        }
    }

    [Theory]
    [InlineData("""{"type": "v", "time": 1763719200000, "item": "A", "item": "B"}""", "item")]
    [InlineData("""{"type": "v", "time": 1763719200000, "item": "A", "item": null}""", "item")]
    [InlineData("""{"type": "v", "time": 1763719200000, "price": 1, "item": "A", "price": 2}""", "price")]
    [InlineData("""{"type": "v", "type": "w", "time": 1763719200000}""", "type")]
    [InlineData("""{"id": "a", "type": "v", "id": "b", "time": 1763719200000}""", "id")]
    [InlineData("""{"type": "v", "time": 1763719200000, "time": 1763719200001}""", "time")]
    [InlineData("""{"type": "v", "time": 1763719200000, "it\u0065m": "A", "item": "B"}""", "item")]
    public void Parse_RepeatedKey_RejectsThatEventAsInvalidFieldNamingTheKey(string bad, string key)
    {
        Parse($$"""
            {{{Ok}}, "item": "a"}
            {{bad}}
            {{{Ok}}, "item": "b"}
            """);
        Parse($$"""[{{{Ok}}, "item": "c"}, {{bad}}, {{{Ok}}, "item": "d"}]""");

        Assert.Equal(["a", "b", "c", "d"], Items());
        Assert.Equal(2, _errors.Count);
        Assert.All(_errors, e =>
        {
            Assert.Equal(1, e.Index);
            Assert.Equal(EventRejectReason.InvalidField, e.Reason);
            Assert.Equal(key, e.Field);
            Assert.Contains($"'{key}' appears more than once", e.Message);
        });
    }

    [Fact]
    public void Parse_SixtyFourDistinctFields_AreAllKept()
    {
        var fields = string.Join(", ", Enumerable.Range(0, EventJsonParser.MaxFields).Select(i => $"\"f{i}\": {i}"));
        Parse($$"""{{{Ok}}, {{fields}}}""");

        Assert.Empty(_errors);
        Assert.Equal(EventJsonParser.MaxFields, _batch.FieldsOf(0).Length);
    }

    [Theory]
    [InlineData("""{"type": "v", "time": 1763719200000, "item": "a"}""" + "\n" + """{"type": "v", "time": 1763719200000, "item": "b"}""")]
    [InlineData("""[{"type": "v", "time": 1763719200000, "item": "a"}, {"type": "v", "time": 1763719200000, "item": "b"}]""")]
    [InlineData("\n  " + """{"type": "v", "time": 1763719200000, "item": "a"}""" + "\n" + """{"type": "v", "time": 1763719200000, "item": "b"}""")]
    public void Parse_BodyStartingWithAByteOrderMark_ReadsTheFirstEvent(string json)
    {
        byte[] body = [0xEF, 0xBB, 0xBF, .. Encoding.UTF8.GetBytes(json)];

        int seen = Parse(body);

        Assert.Empty(_errors);
        Assert.Equal(2, seen);
        Assert.Equal(["a", "b"], Items());
    }

    [Fact]
    public void Parse_StrayBomBytesThatAreNotALeadingBom_AreNotSkipped()
    {
        byte[] body = [0xBB, .. Encoding.UTF8.GetBytes("""{"type": "v", "time": 1763719200000, "item": "a"}""")];

        Parse(body);

        Assert.Equal(EventRejectReason.MalformedJson, Assert.Single(_errors).Reason);
    }

    [Fact]
    public void Parse_NdjsonLineHoldingAnArray_SaysEachEventMustBeAnObjectAndNamesTheLine()
    {
        Parse($$"""
            {{{Ok}}, "item": "a"}
            {{{Ok}}, "item": "b"}
            [1, 2]
            {{{Ok}}, "item": "c"}
            """);

        Assert.Equal(["a", "b", "c"], Items());
        var error = Assert.Single(_errors);
        Assert.Equal(2, error.Index);
        Assert.Equal(EventRejectReason.NotAnObject, error.Reason);
        Assert.Equal("each event must be a JSON object; line 3 holds an array", error.Message);
    }

    [Theory]
    [InlineData("[1, 2]", "an array")]
    [InlineData("[{\"type\": \"v\", \"time\": 1763719200000, \"item\": \"x\"}]", "an array")]
    public void Parse_NdjsonWhoseFirstLineHoldsAnArray_ReadsTheLinesAfterIt(string firstLine, string holds)
    {
        int seen = Parse(firstLine + "\n" + $$"""
            {{{Ok}}, "item": "a"}
            {{{Ok}}, "item": "b"}
            """);

        Assert.Equal(3, seen);
        Assert.Equal(["a", "b"], Items());
        var error = Assert.Single(_errors);
        Assert.Equal(0, error.Index);
        Assert.Equal($"each event must be a JSON object; line 1 holds {holds}", error.Message);
    }

    [Fact]
    public void Parse_ArrayFollowedOnlyByWhitespace_IsStillOneJsonArray()
    {
        int seen = Parse($$"""[{{{Ok}}, "item": "a"}, {{{Ok}}, "item": "b"}]""" + "\n \r\n\t");

        Assert.Equal(2, seen);
        Assert.Empty(_errors);
        Assert.Equal(["a", "b"], Items());
    }

    [Fact]
    public void Parse_ArrayElementThatIsAnArray_SaysEachEventMustBeAnObject()
    {
        Parse($$"""[{{{Ok}}, "item": "a"}, [1, [2]], 7, {{{Ok}}, "item": "b"}]""");

        Assert.Equal(["a", "b"], Items());
        Assert.Equal([1, 2], _errors.Select(e => e.Index));
        Assert.All(_errors, e => Assert.Equal(EventRejectReason.NotAnObject, e.Reason));
        Assert.Equal("each event must be a JSON object; element 1 of the array holds an array", _errors[0].Message);
        Assert.Equal("each event must be a JSON object; element 2 of the array holds a number", _errors[1].Message);
    }

    [Theory]
    [InlineData("""{"type": "v", "time": 1763719200000""")]
    [InlineData("""{"type": "v", "time": 1763719200000]""")]
    [InlineData("""{"type": "v", "time": 1763719200000}}""")]
    [InlineData("""{"type": "v", "time": 1763719200000} {"type": "v"}""")]
    [InlineData("""{"type": "v", "time": 1763719200000, }""")]
    [InlineData("""{"type": "v", "time": 17637192000x0}""")]
    [InlineData("""{"type": "v", "time": 1763719200000, "a": [}""")]
    [InlineData("{\"type\": \"v\", \"time\": 1763719200000, \"a\": \"x\u0001\"}")]
    public void Parse_MalformedLine_MessageHasNoReaderInternalWords(string line)
    {
        Parse(line + "\n");

        var error = Assert.Single(_errors);
        Assert.Equal(EventRejectReason.MalformedJson, error.Reason);
        foreach (string word in new[] { "EndArray", "EndObject", "StartObject", "StartArray", "PropertyName", "TokenType", "fraction" })
        {
            Assert.DoesNotContain(word, error.Message, StringComparison.Ordinal);
        }
    }
}
