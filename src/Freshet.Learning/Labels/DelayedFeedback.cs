namespace Freshet.Learning.Labels;

/// <summary>
/// Learning from outcomes that arrive late, without waiting for the attribution window (Ktena et al. 2019,
/// "Addressing Delayed Feedback for Continuous Training with Neural Networks in CTR prediction", the fake-negative
/// scheme): every exposure is learned at once as a negative, and learned again as a positive if an outcome follows;
/// the window closing adds nothing. The model then fits b = p / (1 + p) instead of p, and
/// <see cref="Calibrate"/> recovers p = b / (1 − b). Waiting for the window instead would delay every label by it, and
/// learning positives at once but negatives at the window's end (the order a join emits them) biases the model
/// upwards by the positives still in flight: on REES46 that doubled the predicted rate.
/// </summary>
public static class DelayedFeedback
{
    /// <summary>The probability of an outcome from a model trained with fake negatives.</summary>
    public static double Calibrate(double biased) => Math.Clamp(biased / (1 - Math.Min(biased, 0.999_999)), 0, 0.999_999);
}
