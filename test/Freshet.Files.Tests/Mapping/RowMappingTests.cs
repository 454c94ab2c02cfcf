using Freshet.Files.Mapping;

namespace Freshet.Files.Tests;

/// <summary>Rows of CSV, TSV and NDJSON files into events: quoting, mapping, numbers, empty values, times, bad rows.</summary>
public sealed class RowMappingTests
{
    private static readonly MappingSpec Shop = new()
    {
        Maps = [new("type", "event_type"), new("time", "event_time"), new("item", "product_id")],
        Numbers = ["price"],
    };

    [Fact]
    public void Map_QuotedCsv_KeepsSeparatorsQuotesAndLineBreaksInsideFields()
    {
        string path = MappedFiles.Write(
            "event_type,event_time,product_id,title,price\n"
            + "view,2019-10-01 00:00:00 UTC,44600062,\"Mixer, 3 speeds\",35.79\n"
            + "view,2019-10-01 00:00:01 UTC,3900821,\"the \"\"best\"\" kettle\",33.20\n"
            + "cart,2019-10-01 00:00:02 UTC,17200506,\"two\nlines\",543.10\n"
            + "purchase,2019-10-01 00:00:03 UTC,1307067,plain,251.74\n", ".csv");

        var (events, rejections, error) = MappedFiles.Map(path, Shop);

        Assert.Null(error);
        Assert.Empty(rejections);
        Assert.Equal(["Mixer, 3 speeds", "the \"best\" kettle", "two\nlines", "plain"], events.Select(e => e.Text("title")));
        Assert.Equal([2L, 3, 4, 6], events.Select(e => e.Line)); // The quoted line break makes the record after it start on line 6.
        Assert.Equal(["view", "view", "cart", "purchase"], events.Select(e => e.Type));
        Assert.Equal(MappedFiles.Ms("2019-10-01T00:00:03Z"), events[^1].TimeMs);
    }

    [Fact]
    public void Map_IdsAndNumbers_IdsStayStringsAndOnlyNumbersFieldsAreNumbers()
    {
        string path = MappedFiles.Write("event_type,event_time,product_id,user_id,price\nview,2019-10-01 00:00:00 UTC,0044600062,541312140,12.50\n", ".csv");

        var (events, _, _) = MappedFiles.Map(path, Shop with { Maps = [.. Shop.Maps, new("user", "user_id")] });

        var e = Assert.Single(events);
        Assert.Equal("0044600062", e.Text("item")); // Leading zeros kept: an id is text.
        Assert.Equal("541312140", e.Text("user"));
        Assert.Equal(12.5, e.Number("price"));
        Assert.False(e.Fields.ContainsKey("product_id")); // A mapped column is sent under its target name only.
        Assert.False(e.Fields.ContainsKey("event_type"));
    }

    [Fact]
    public void Map_EmptyAndNullValues_AreLeftOut()
    {
        string path = MappedFiles.Write("event_type,event_time,product_id,brand,category_code\nview,2019-10-01 00:00:00 UTC,1,,NA\n", ".csv");

        var (events, rejections, error) = MappedFiles.Map(path, Shop with { Numbers = [], Nulls = ["NA"] });

        Assert.Null(error);
        Assert.Empty(rejections);
        var e = Assert.Single(events);
        Assert.Equal(["item"], e.Fields.Keys);
    }

    [Fact]
    public void Map_OnlyMapped_SendsNothingElse()
    {
        string path = MappedFiles.Write("event_type,event_time,product_id,brand\nview,2019-10-01 00:00:00 UTC,1,acme\n", ".csv");

        var (events, _, _) = MappedFiles.Map(path, Shop with { Numbers = [], OnlyMapped = true });

        Assert.Equal(["item"], Assert.Single(events).Fields.Keys);
    }

    [Fact]
    public void Map_TsvWithFractionalSeconds_ReadsTabsAndExactMilliseconds()
    {
        string path = MappedFiles.Write("SessionId\tItemId\tTime\n3\t214716935\t1396437466.94\n3\t214832672\t1396438212.318\n", ".tsv");
        var spec = MappingPresets.Find("yoochoose")!.Spec;

        var (events, rejections, error) = MappedFiles.Map(path, spec);

        Assert.Null(error);
        Assert.Empty(rejections);
        Assert.Equal([1396437466940L, 1396438212318L], events.Select(e => e.TimeMs));
        Assert.All(events, e => Assert.Equal("click", e.Type));
        Assert.Equal("214832672", events[1].Text("item"));
        Assert.Equal("3", events[1].Text("session"));
    }

    [Fact]
    public void Map_HeaderlessWithColumns_UsesTheNamesAndRenamesTypes()
    {
        string path = MappedFiles.Write("543462,1715,1464116,pv,1511658000\n662867,2244074,1575622,buy,1511658001\n1,2,3,fav,1511658002\n", ".csv");

        var (events, rejections, error) = MappedFiles.Map(path, MappingPresets.Find("taobao")!.Spec);

        Assert.Null(error);
        Assert.Empty(rejections);
        Assert.Equal(["view", "purchase", "fav"], events.Select(e => e.Type));
        Assert.Equal(1511658001000L, events[1].TimeMs);
        Assert.Equal("2244074", events[1].Text("item"));
        Assert.Equal("1575622", events[1].Text("category"));
        Assert.Equal(1L, events[0].Line); // No header: the first row is line 1.
    }

    [Fact]
    public void Map_ConstantsAndTimeOffset_BuildTheEventFromADateAndMilliseconds()
    {
        string path = MappedFiles.Write("session_id;user_id;item_id;timeframe;eventdate\n1;NA;81766;526309;2016-05-09\n2;77;31331;1031018;2016-05-09\n", ".csv");

        var (events, rejections, error) = MappedFiles.Map(path, MappingPresets.Find("diginetica")!.Spec);

        Assert.Null(error);
        Assert.Empty(rejections);
        Assert.Equal(MappedFiles.Ms("2016-05-09T00:00:00Z") + 526309, events[0].TimeMs);
        Assert.Equal("view", events[0].Type);
        Assert.False(events[0].Fields.ContainsKey("user")); // NA is no value.
        Assert.Equal("77", events[1].Text("user"));
        Assert.False(events[1].Fields.ContainsKey("timeframe"));
    }

    [Fact]
    public void Map_BadRows_AreRejectedWithTheirLineAndTheRestKept()
    {
        string path = MappedFiles.Write(
            "event_type,event_time,product_id,price\n"
            + "view,2019-10-01 00:00:00 UTC,1,10\n"
            + "view,not a time,2,10\n"
            + "view,2019-10-01 00:00:02 UTC,3,ten\n"
            + ",2019-10-01 00:00:03 UTC,4,10\n"
            + "view,,5,10\n"
            + "view,2019-10-01 00:00:05 UTC,6,10\n", ".csv");

        var (events, rejections, _) = MappedFiles.Map(path, Shop);

        Assert.Equal(["1", "6"], events.Select(e => e.Text("item")));
        Assert.Equal([3L, 4, 5, 6], rejections.Select(r => r.Line));
        Assert.Equal(["bad_time", "bad_number", "missing_type", "missing_time"], rejections.Select(r => r.Reason));
        Assert.Contains("column 'event_time': time 'not a time' is not a time", rejections[0].Message, StringComparison.Ordinal);
        Assert.Contains("column 'price': 'ten' is not a number", rejections[1].Message, StringComparison.Ordinal);
        Assert.Contains("column 'event_type' is empty", rejections[2].Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Map_NumberOutsideTheAcceptedRange_IsRejectedLikeTheServerDoes()
    {
        string path = MappedFiles.Write(
            "event_type,event_time,product_id,price\n"
            + "view,2019-10-01 00:00:00 UTC,1,1e100\n"
            + "view,2019-10-01 00:00:01 UTC,2,1.7e308\n"
            + "view,2019-10-01 00:00:02 UTC,3,1e400\n"
            + "view,2019-10-01 00:00:03 UTC,4,10\n", ".csv");

        var (events, rejections, _) = MappedFiles.Map(path, Shop);

        Assert.Equal(["1", "4"], events.Select(e => e.Text("item")));
        Assert.Equal([3L, 4], rejections.Select(r => r.Line));
        Assert.All(rejections, r => Assert.Equal("bad_number", r.Reason));
        Assert.Contains("column 'price': '1.7e308' is outside the accepted range for numbers (-1e100 to 1e100)", rejections[0].Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Map_TruncatedLastLine_IsRejectedAndEverythingElseKept()
    {
        // As REES46's sample ends: the last line is cut off in the middle of a field, with no newline.
        string path = MappedFiles.Write(
            "event_type,event_time,product_id,price,user_id,user_session\n"
            + "view,2019-10-01 02:50:00 UTC,12718331,52.12,543335023,e6cc4f54-a24e-4123-8e3a-ed2f2fb95e0c\n"
            + "view,2019-10-01 02:50:00 UTC,10900305,25.71,52040330", ".csv");

        var (events, rejections, _) = MappedFiles.Map(path, Shop);

        Assert.Equal("12718331", Assert.Single(events).Text("item"));
        var rejected = Assert.Single(rejections);
        Assert.Equal(3, rejected.Line);
        Assert.Equal("bad_row", rejected.Reason);
        Assert.Equal("5 fields, but the header has 6 (the line is cut short?)", rejected.Message);
    }

    [Fact]
    public void Map_UnterminatedQuote_IsRejectedWithItsLine()
    {
        string path = MappedFiles.Write("event_type,event_time,product_id\nview,2019-10-01 00:00:00 UTC,1\nview,2019-10-01 00:00:01 UTC,\"2\n", ".csv");

        var (events, rejections, _) = MappedFiles.Map(path, Shop with { Numbers = [] });

        Assert.Single(events);
        var rejected = Assert.Single(rejections);
        Assert.Equal(3, rejected.Line);
        Assert.Contains("never closed", rejected.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Map_UnknownColumn_ListsTheHeader()
    {
        string path = MappedFiles.Write("event_type,event_time,product_id\nview,2019-10-01 00:00:00 UTC,1\n", ".csv");

        var (_, _, error) = MappedFiles.Map(path, Shop with { Maps = [.. Shop.Maps, new("user", "user_id")] });

        Assert.Equal("--map user=user_id: the file has no column 'user_id'; its columns are: event_type, event_time, product_id", error);
    }

    [Theory]
    [InlineData("a,b\n1,2\n", "no column gives the event type")]
    [InlineData("type,b\nview,2\n", "no column gives the event time")]
    [InlineData("type,time,type\nview,1,2\n", "the column 'type' appears twice")]
    public void Map_IncompleteMapping_SaysWhatIsMissing(string content, string message)
    {
        var (_, _, error) = MappedFiles.Map(MappedFiles.Write(content, ".csv"), new MappingSpec());

        Assert.Contains(message, error, StringComparison.Ordinal);
    }

    [Fact]
    public void Map_ColumnNamedLikeATarget_IsNotSentTwice()
    {
        string path = MappedFiles.Write("type,time,item,sku\nview,1700000000000,old,new\n", ".csv");

        var (events, _, error) = MappedFiles.Map(path, new MappingSpec { Maps = [new("item", "sku")] });

        Assert.Null(error);
        var e = Assert.Single(events);
        Assert.Equal("new", e.Text("item"));
        Assert.Equal(["item"], e.Fields.Keys);
    }

    [Fact]
    public void Map_Ndjson_MapsKeysKeepsNumbersAndRejectsBadLines()
    {
        string path = MappedFiles.Write(
            "{\"action\":\"view\",\"ts\":1396860669.277,\"sku\":\"i1\",\"price\":9.5,\"vip\":true,\"note\":null}\n"
            + "\n"
            + "{\"action\":\"view\",\"ts\":1396860670,\"sku\":\"i2\",\"tags\":[\"a\"]}\n"
            + "{\"action\":\"view\",\"ts\":1396860671,\"sku\":\"i3\"\n"
            + "[1,2]\n"
            + "{\"action\":\"cart\",\"ts\":\"2014-04-07T08:51:12Z\",\"sku\":\"i\\\"4\",\"id\":\"e4\"}\n", ".ndjson");
        var spec = new MappingSpec { Maps = [new("type", "action"), new("time", "ts"), new("item", "sku")], TimeUnit = TimeUnit.Seconds };

        var (events, rejections, error) = MappedFiles.Map(path, spec);

        Assert.Null(error);
        Assert.Equal(2, events.Count);
        Assert.Equal(1396860669277L, events[0].TimeMs);
        Assert.Equal(9.5, events[0].Number("price"));
        Assert.Equal(1.0, events[0].Number("vip"));
        Assert.False(events[0].Fields.ContainsKey("note"));
        Assert.Equal("i\"4", events[1].Text("item"));
        Assert.Equal("e4", events[1].Id);
        Assert.Equal(6, events[1].Line);
        Assert.Equal([3L, 4, 5], rejections.Select(r => r.Line));
        Assert.Equal(["bad_field", "bad_row", "bad_row"], rejections.Select(r => r.Reason));
        Assert.Contains("key 'tags' is an array", rejections[0].Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Map_JsonArrayFile_IsRefusedSayingReplayReadsNdjson()
    {
        var (_, _, error) = MappedFiles.Map(MappedFiles.Write("[{\"type\":\"view\",\"time\":1700000000000}]", ".json"), new MappingSpec());

        Assert.Contains("is a JSON array", error, StringComparison.Ordinal);
    }

    [Fact]
    public void Map_ByteOrderMarkAndCrlf_AreNotPartOfNamesOrValues()
    {
        string path = MappedFiles.Write("\uFEFFtype,time,item\r\nview,1700000000000,a\r\nview,1700000000001,b\r\n", ".csv");

        var (events, rejections, error) = MappedFiles.Map(path, new MappingSpec());

        Assert.Null(error);
        Assert.Empty(rejections);
        Assert.Equal(["a", "b"], events.Select(e => e.Text("item")));
        Assert.All(events, e => Assert.Equal("view", e.Type));
    }

    [Fact]
    public void Map_NotUtf8_IsRejectedSayingSo()
    {
        string path = Path.ChangeExtension(MappedFiles.Write("", ".csv"), ".csv");
        File.WriteAllBytes(path, [.. "type,time,title\nview,1700000000000,caf"u8, 0xE9, (byte)'\n']);

        var (_, rejections, _) = MappedFiles.Map(path, new MappingSpec());

        Assert.Equal("bad_text", Assert.Single(rejections).Reason);
    }
}
