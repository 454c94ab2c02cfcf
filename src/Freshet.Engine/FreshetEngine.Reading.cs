using Freshet.Seams;

namespace Freshet.Engine;

/// <summary>Reads: the embedded feature reader over this engine's shards.</summary>
public sealed partial class FreshetEngine
{
    /// <summary>Vectors, series and profiles of entity keys from this engine's shards, with status values (see <see cref="IFeatureReader"/>).</summary>
    public IFeatureReader Reader { get; }
}
