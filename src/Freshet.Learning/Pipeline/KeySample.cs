using Freshet.Hashing;

namespace Freshet.Learning.Pipeline;

/// <summary>
/// Which keys a sampled model learns from: a key is in when a hash of it falls below the share, so the same key is
/// always in or always out — an exposure with its outcomes, a user with all their interactions — on every run and
/// after every restart. Sampling keys rather than events keeps the label join and the user histories whole.
/// </summary>
public static class KeySample
{
    private const ulong Seed = 0x5A3D_1E0F_77C2_9B41;

    /// <summary>True when the key with content hash <paramref name="keyHash"/> is among the <paramref name="share"/> (0 to 1] of keys learned.</summary>
    public static bool Includes(ulong keyHash, double share) =>
        share >= 1 || (XxHash64.Hash(keyHash, Seed) >> 11) * (1.0 / (1UL << 53)) < share;

    /// <summary>Checks a share read from a definition.</summary>
    public static void Validate(double share)
    {
        if (!(share > 0 && share <= 1))
        {
            throw new ArgumentException(FormattableString.Invariant($"sample must be a share of keys above 0 and at most 1 (0.1 learns one key in ten), not {share}"));
        }
    }
}
