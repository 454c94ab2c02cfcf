using Freshet.Events;
using Freshet.Time;

namespace Freshet.Synthetic;

/// <summary>How people behave: sessions of views and searches, and the funnel from view to click, cart and purchase.</summary>
public sealed partial class SyntheticStream
{
    private void StartSession(EventBatch batch)
    {
        var world = _world;
        int user = world.SampleUser(ref _random);
        int device = _random.NextBool(0.8) ? world.UserDevice[user] : SyntheticWorld.SampleDevice(ref _random);
        _sessions++;
        Volatile.Write(ref _recentUser, user);
        Step(batch, user, (byte)device, BrowsingCategory(world.SampleFavourite(user, ref _random)));
    }

    private void Perform(EventBatch batch, in PendingAction action)
    {
        switch (action.Kind)
        {
            case ActionKind.Step:
                Step(batch, action.User, action.Device, action.Target);
                break;
            case ActionKind.Click:
                Emit(batch, _clickType, action.User, action.Target, action.Device);
                _clicks++;
                if (_random.NextBool(Options.CartProbability))
                {
                    Schedule(ActionKind.Cart, _random.NextDouble(10, 120) * Duration.Second, action.User, action.Target, action.Device);
                }

                break;
            case ActionKind.Cart:
                EmitWithPrice(batch, _cartType, action.User, action.Target, action.Device);
                _carts++;
                if (_random.NextBool(Options.PurchaseProbability / Options.CartProbability))
                {
                    Schedule(ActionKind.Purchase, _random.NextDouble(0.5, 10) * Duration.Minute, action.User, action.Target, action.Device);
                }

                break;
            default:
                EmitWithPrice(batch, _purchaseType, action.User, action.Target, action.Device);
                _purchases++;
                break;
        }
    }

    /// <summary>
    /// One step of a session (a search or a view) and, maybe, the next step. <paramref name="browsing"/> is the item
    /// viewed last (zero or more) or, before the first view and after a search, the complement of the category browsed.
    /// </summary>
    private void Step(EventBatch batch, int user, byte device, int browsing)
    {
        var world = _world;
        double nextGapMs = _random.NextExponential(Options.MeanStepGapMs);
        if (_random.NextBool(Options.SearchProbability))
        {
            // People search for things in the departments they like, and browse what they searched for next.
            int category = world.SampleFavourite(user, ref _random);
            batch.BeginEvent(_searchType, (long)_nowMs);
            batch.AddString(_userField, world.Users[user].NameId);
            batch.AddString(_queryField, world.SampleQuery(category, ref _random));
            batch.AddString(_deviceField, world.DeviceIds[device]);
            batch.EndEvent();
            _searches++;
            browsing = BrowsingCategory(category);
        }
        else
        {
            int item = ChooseItem(user, browsing);
            Emit(batch, _viewType, user, item, device);
            _views++;
            if (_random.NextBool(world.Items[item].Ctr))
            {
                // The click comes a few seconds after the view, and the session's next step after the click.
                double clickGapMs = _random.NextDouble(2, 12) * Duration.Second;
                Schedule(ActionKind.Click, clickGapMs, user, item, device);
                nextGapMs += clickGapMs;
            }

            browsing = item;
        }

        if (_random.NextBool(Options.ContinueProbability))
        {
            Schedule(ActionKind.Step, nextGapMs, user, browsing, device);
        }
    }

    private static int BrowsingCategory(int category) => ~category;

    /// <summary>
    /// Promoted items first, then the category being browsed, the user's favourites, or shop-wide popularity. When
    /// that lands on the item just viewed, the user moves on to something popular anywhere in the shop: in a category
    /// where one item dominates, the category alone would show people the same item over and over.
    /// </summary>
    private int ChooseItem(int user, int browsing)
    {
        int item = ChooseItemOnce(user, browsing);
        return item == browsing ? _world.SampleItem(ref _random) : item;
    }

    private int ChooseItemOnce(int user, int browsing)
    {
        var world = _world;
        if (_promotions.ActiveCount > 0 && _random.NextBool(_promotions.ActiveShare))
        {
            return _promotions.Sample(ref _random);
        }

        if (_random.NextBool(Options.StayInCategoryProbability))
        {
            return world.SampleItemInCategory(browsing >= 0 ? world.Items[browsing].Category : ~browsing, ref _random);
        }

        return _random.NextBool(Options.FavouriteCategoryShare)
            ? world.SampleItemInCategory(world.SampleFavourite(user, ref _random), ref _random)
            : world.SampleItem(ref _random);
    }

    private void Schedule(ActionKind kind, double delayMs, int user, int target, byte device)
    {
        if (!_agenda.TryPush(new PendingAction(ToMicroseconds(_nowMs + delayMs), kind, user, target, device)))
        {
            _dropped++;
        }
    }

    private void Emit(EventBatch batch, int type, int user, int item, byte device)
    {
        BeginItemEvent(batch, type, user, item, device);
        batch.EndEvent();
    }

    /// <summary>Starts an event with the fields every item event carries: user, item, category and device.</summary>
    private void BeginItemEvent(EventBatch batch, int type, int user, int item, byte device)
    {
        var world = _world;
        batch.BeginEvent(type, (long)_nowMs);
        batch.AddString(_userField, world.Users[user].NameId);
        ref readonly var facts = ref world.Items[item];
        batch.AddString(_itemField, facts.NameId);
        batch.AddString(_categoryField, facts.CategoryNameId);
        batch.AddString(_deviceField, world.DeviceIds[device]);
    }

    /// <summary>Carts and purchases carry the price paid: the list price, or one in five times 10–30 % off.</summary>
    private void EmitWithPrice(EventBatch batch, int type, int user, int item, byte device)
    {
        double price = _world.ItemPrice[item];
        if (_random.NextBool(0.2))
        {
            price = Math.Round(price * _random.NextDouble(0.7, 0.9), 2);
        }

        BeginItemEvent(batch, type, user, item, device);
        batch.AddNumber(_priceField, price);
        batch.EndEvent();
    }
}
