using Freshet.Files.Mapping;

namespace Freshet.Files.Tests;

public sealed class MappingSpecTests
{
    [Fact]
    public void OverriddenBy_ExplicitOptions_ReplaceThePresetsForTheSameTarget()
    {
        var preset = MappingPresets.Find("yoochoose")!.Spec;

        var merged = preset.OverriddenBy(new MappingSpec
        {
            Maps = [new("type", "Kind")],
            Sets = [new("site", "yc")],
            Numbers = ["price"],
            TimeUnit = TimeUnit.Milliseconds,
        });

        Assert.Equal(InputFormat.Tsv, merged.Format);
        Assert.Equal(TimeUnit.Milliseconds, merged.TimeUnit);
        Assert.Contains(new FieldMap("type", "Kind"), merged.Maps);
        Assert.Contains(new FieldMap("item", "ItemId"), merged.Maps);
        Assert.DoesNotContain(merged.Sets, s => s.Target == "type"); // --map type=… replaces the preset's --set type=click.
        Assert.Contains(new FieldConstant("site", "yc"), merged.Sets);
        Assert.Equal(["price"], merged.Numbers);
        Assert.True(merged.Sort);
    }

    [Fact]
    public void Describe_Preset_IsTheOptionsAUserWouldType()
    {
        Assert.Equal(
            "--format tsv --map session=SessionId --map item=ItemId --map time=Time --set type=click --time-unit s --sort",
            MappingPresets.Find("yoochoose")!.Spec.Describe());
        Assert.Equal(
            "--format csv --delimiter ';' --map session=session_id --map user=user_id --map item=item_id --map time=eventdate --set type=view --null NA --time-offset timeframe --sort",
            MappingPresets.Find("diginetica")!.Spec.Describe());
    }

    [Fact]
    public void Find_AnyCase_FindsThePreset() => Assert.Equal("rees46", MappingPresets.Find(" REES46 ")?.Name);
}
