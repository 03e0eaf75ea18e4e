using System.Diagnostics;
using NativeNets.Backends;
using NativeNets.Data.Loading;
using NativeNets.Losses;
using NativeNets.MixedPrecision;
using NativeNets.Modules;
using NativeNets.Optim;
using NativeNets.Tensors;

namespace NativeNets.Nets.Experiments;

/// <summary>Top-1 and top-5 accuracy of a network over an image folder, and what the loader skipped.</summary>
internal sealed record EvalResult(int Images, double Top1, double Top5, double Seconds, BadImageReport? BadImages)
{
    public double ImagesPerSecond => Images / Math.Max(Seconds, 1e-9);
}

/// <summary>One epoch of training on image files: mean loss, training top-1, images/s.</summary>
internal sealed record ImageEpoch(int Epoch, double MeanLoss, double TrainTop1, double LearningRate, int Images, double Seconds, BadImageReport? BadImages);

/// <summary>
/// Networks on image files: batches from an <see cref="ImageLoader"/> (U8 NHWC in host memory) are copied to the
/// device as they are and normalised there (<see cref="Backend.NormalizeImages"/>), so the host does no per-pixel work
/// beyond decoding and augmenting.
/// </summary>
internal static class ImageRun
{
    /// <summary>ImageNet's per-channel statistics, which torchvision's weights expect.</summary>
    public static readonly float[] ImageNetMean = [0.485f, 0.456f, 0.406f];
    public static readonly float[] ImageNetStd = [0.229f, 0.224f, 0.225f];

    /// <summary>
    /// The loader's batch buffers for a run on <paramref name="device"/>: page-locked host memory for a GPU, so that each
    /// batch goes up by DMA (<see cref="CudaBackend.NewPinnedHostTensor"/>); null (plain host memory) for the CPU.
    /// </summary>
    public static Func<int[], Tensor>? BatchAllocatorFor(Device device) =>
        Backend.For(device) is CudaBackend cuda ? dims => cuda.NewPinnedHostTensor(dims, DType.U8, Layout.NHWC) : null;

    /// <summary>
    /// Copies a loader batch to <paramref name="device"/> and normalises it into <paramref name="x"/> (reused), in
    /// <paramref name="dtype"/>: F32, or the F16/BF16 of a mixed-precision network (the first layer's dtype); NCHW, or
    /// NHWC with <paramref name="channelsLast"/> (the loader's own order: nothing is reordered).
    /// </summary>
    public static Tensor ToInput(ImageBatch batch, Device device, ref Tensor? u8, ref Tensor? x, float[] mean, float[] std, DType dtype = DType.F32,
        bool channelsLast = false)
    {
        var images = batch.Images;
        var layout = channelsLast ? Layout.NHWC : Layout.NCHW;
        if (u8 is null || !u8.SameShape(images) || x is null || x.DType != dtype || x.Layout != layout)
        {
            u8?.Dispose();
            x?.Dispose();
            u8 = new Tensor(images.Shape, DType.U8, device, Layout.NHWC);
            x = new Tensor(images.Shape, dtype, device, layout);
        }
        unsafe { u8.Backend.CopyFromHost(images.Pointer, u8); }
        x!.Backend.NormalizeImages(u8, x, mean, std);
        return x;
    }

    public static EvalResult Evaluate(Sequential network, ImageLoader loader, Device device, float[]? mean = null, float[]? std = null,
        Action<int, int>? progress = null, bool channelsLast = false)
    {
        mean ??= ImageNetMean;
        std ??= ImageNetStd;
        network.Training = false;
        Tensor? u8 = null, x = null;
        long top1 = 0, top5 = 0, seen = 0;
        var clock = Stopwatch.StartNew();
        try
        {
            foreach (var batch in loader.Epoch(0))
                using (batch)
                {
                    var input = ToInput(batch, device, ref u8, ref x, mean, std, InputDType(network), channelsLast);
                    var logits = ToFloats(network.Forward(input));
                    var classes = logits.Length / batch.Count;
                    for (var i = 0; i < batch.Count; i++)
                    {
                        var row = logits.AsSpan(i * classes, classes);
                        var label = batch.Labels[i];
                        // The label's rank: how many classes score higher (ties count for the lower index, as argmax).
                        var rank = 0;
                        for (var c = 0; c < classes; c++)
                            if (row[c] > row[label] || (row[c] == row[label] && c < label)) rank++;
                        if (rank == 0) top1++;
                        if (rank < 5) top5++;
                    }
                    seen += batch.Count;
                    progress?.Invoke((int)seen, loader.Count);
                }
        }
        finally
        {
            u8?.Dispose();
            x?.Dispose();
        }
        return new EvalResult((int)seen, (double)top1 / Math.Max(1, seen), (double)top5 / Math.Max(1, seen), clock.Elapsed.TotalSeconds, loader.LastReport);
    }

    /// <summary>The dtype a network takes its input in: its first parameter's (F16/BF16 after MixedPrecisionNetwork.Apply), else F32.</summary>
    public static DType InputDType(Layer network) => network.Parameters().FirstOrDefault()?.Value.DType ?? DType.F32;

    /// <summary>A tensor's values as floats on the host, whatever its floating dtype.</summary>
    public static float[] ToFloats(Tensor t)
    {
        if (t.DType == DType.F32) return t.ToArray<float>();
        using var wide = new Tensor(t.Shape, DType.F32, t.Device);
        t.Backend.Cast(t, wide);
        return wide.ToArray<float>();
    }

    /// <summary>
    /// One training epoch: the rate follows <paramref name="schedule"/> per iteration (fractional epoch). With a
    /// <paramref name="scaler"/> (fp16) the loss gradient is scaled and steps whose gradients overflow are skipped.
    /// </summary>
    public static ImageEpoch TrainEpoch(Sequential network, ImageLoader loader, Sgd sgd, ILearningRateSchedule schedule, int epoch, Device device,
        float[]? mean = null, float[]? std = null, Action<int, int>? progress = null, LossScaler? scaler = null, bool channelsLast = false)
    {
        mean ??= ImageNetMean;
        std ??= ImageNetStd;
        network.Training = true;
        var backend = Backend.For(device);
        using var loss = new SoftmaxCrossEntropyLoss();
        Tensor? u8 = null, x = null, labels = null, predicted = null;
        double lossSum = 0;
        long seen = 0, correct = 0;
        var steps = Math.Max(1, loader.Options.DropLast ? loader.Count / loader.Options.BatchSize : (loader.Count + loader.Options.BatchSize - 1) / loader.Options.BatchSize);
        var clock = Stopwatch.StartNew();
        try
        {
            foreach (var batch in loader.Epoch(epoch))
                using (batch)
                {
                    sgd.LearningRate = schedule.At(epoch + (double)batch.Number / steps);
                    var input = ToInput(batch, device, ref u8, ref x, mean, std, InputDType(network), channelsLast);
                    if (labels is null || labels[0] != batch.Count)
                    {
                        labels?.Dispose();
                        predicted?.Dispose();
                        labels = new Tensor([batch.Count], DType.I32, device);
                        predicted = new Tensor([batch.Count], DType.I32, device);
                    }
                    labels.CopyFrom<int>(batch.Labels);
                    sgd.ZeroGrad();
                    loss.GradientScale = scaler?.Scale ?? 1;
                    var logits = network.Forward(input);
                    lossSum += (loss.Forward(logits, labels) + AuxiliaryLosses.Add(network, labels, loss.GradientScale)) * batch.Count;
                    network.Backward(loss.Backward());
                    if (scaler is null) sgd.Step();
                    else scaler.Step(sgd);
                    backend.ArgMaxRows(logits, predicted!);
                    var p = predicted!.ToArray<int>();
                    for (var i = 0; i < batch.Count; i++) if (p[i] == batch.Labels[i]) correct++;
                    seen += batch.Count;
                    progress?.Invoke((int)seen, loader.Count);
                }
        }
        finally
        {
            u8?.Dispose();
            x?.Dispose();
            labels?.Dispose();
            predicted?.Dispose();
        }
        return new ImageEpoch(epoch + 1, lossSum / Math.Max(1, seen), (double)correct / Math.Max(1, seen), sgd.LearningRate, (int)seen,
            clock.Elapsed.TotalSeconds, loader.LastReport);
    }
}
