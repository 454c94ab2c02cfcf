using Freshet.Learning.Parameters;

namespace Freshet.Learning.Factorization;

public sealed partial class RealtimeMf
{
    /// <summary>Writes the counters, random state, user factors, item factors, item biases and seen items.</summary>
    public void Save(BinaryWriter w)
    {
        w.Write(_k);
        w.Write(Users);
        w.Write(Items);
        w.Write(Interactions);
        w.Write(_random);
        _users.Scan(0, Users, (_, rows) =>
        {
            foreach (float f in rows)
            {
                w.Write(f);
            }
        });
        int width = _k + 1;
        _items.Scan(0, Items, (_, rows) =>
        {
            for (int at = 0; at < rows.Length; at += width)
            {
                foreach (float f in rows.Slice(at, _k))
                {
                    w.Write(f);
                }
            }
        });
        _items.Scan(0, Items, (_, rows) =>
        {
            for (int at = _k; at < rows.Length; at += width)
            {
                w.Write(rows[at]);
            }
        });
        foreach (var seen in _seen)
        {
            w.Write(seen.Count);
            foreach (int item in seen.Order())
            {
                w.Write(item);
            }
        }
    }

    /// <summary>Reads a model written by <see cref="Save"/> with the same options into new stores of <paramref name="model"/> from <paramref name="stores"/>.</summary>
    public static RealtimeMf Load(BinaryReader r, MfOptions options, IParameterStoreFactory stores, string model)
    {
        var mf = Create(options, stores, model);
        int k = r.ReadInt32();
        if (k != options.Factors)
        {
            throw new InvalidDataException($"the saved factorization has {k} factors, the definition {options.Factors}");
        }

        int userCount = r.ReadInt32(), itemCount = r.ReadInt32();
        if (userCount < 0 || itemCount < 0)
        {
            throw new InvalidDataException($"the saved factorization has {userCount} users and {itemCount} items");
        }

        mf.Interactions = r.ReadInt64();
        mf._random = r.ReadUInt64();
        var userRows = new float[userCount * k];
        for (int i = 0; i < userRows.Length; i++)
        {
            userRows[i] = r.ReadSingle();
        }

        int width = k + 1;
        var itemRows = new float[itemCount * width];
        for (int i = 0; i < itemCount * k; i++)
        {
            itemRows[(i / k * width) + (i % k)] = r.ReadSingle();
        }

        for (int i = 0; i < itemCount; i++)
        {
            itemRows[(i * width) + k] = r.ReadSingle();
        }

        for (int u = 0; u < userCount; u++)
        {
            int count = r.ReadInt32();
            var seen = new HashSet<int>(count);
            for (int i = 0; i < count; i++)
            {
                seen.Add(r.ReadInt32());
            }

            mf._seen.Add(seen);
        }

        mf._users.PushRun(0, userRows);
        mf._items.PushRun(0, itemRows);
        mf.Users = userCount;
        mf.Items = itemCount;
        return mf;
    }
}
