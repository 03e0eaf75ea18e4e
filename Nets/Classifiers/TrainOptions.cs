namespace NativeNets.Nets.Classifiers;

/// <summary>Hyperparameters of minibatch SGD training. Step decay multiplies the rate by <see cref="LrGamma"/> every <see cref="LrStepEpochs"/> epochs (0: never).</summary>
public sealed record TrainOptions
{
    public int Epochs { get; init; } = 10;
    public int BatchSize { get; init; } = 256;
    public double LearningRate { get; init; } = 0.05;
    public double Momentum { get; init; } = 0.9;
    public double WeightDecay { get; init; } = 5e-4;
    public int LrStepEpochs { get; init; }
    public double LrGamma { get; init; } = 0.1;
    public ulong Seed { get; init; } = 1;
    /// <summary>
    /// Goyal et al.'s virtual workers: batch norm computes its statistics per sub-batch of BatchSize / k, so that one
    /// process with batch kn behaves as k workers with batch n each (1: off).
    /// </summary>
    public int VirtualWorkers { get; init; } = 1;
    /// <summary>A schedule of the learning rate per iteration (fractional epoch); when set it replaces the step decay above.</summary>
    public Optim.ILearningRateSchedule? Schedule { get; init; }
    /// <summary>Stop after this many optimizer steps (0: run every epoch).</summary>
    public long MaxSteps { get; init; }
    /// <summary>Goyal et al.: no weight decay on BN's gamma and beta (and on biases).</summary>
    public bool NoDecayOnBatchNorm { get; init; }
    /// <summary>Goyal et al.: gamma = 0 for the last BN of every residual block, so each block starts as the identity.</summary>
    public bool ZeroInitResidualGamma { get; init; }
    /// <summary>Write a checkpoint here after every epoch (through a temp file and a rename); null: none.</summary>
    public string? CheckpointPath { get; init; }
    /// <summary>Continue from <see cref="CheckpointPath"/> when it exists, as if the run had never stopped.</summary>
    public bool Resume { get; init; }
    /// <summary>
    /// fp32, or fp16 / bf16 activations, weights and gradients with F32 master weights, momentum and batch-norm
    /// parameters; fp16 trains with a dynamic loss scale (<see cref="MixedPrecision.LossScaler"/>).
    /// </summary>
    public MixedPrecision.Precision Precision { get; init; } = MixedPrecision.Precision.Fp32;
    /// <summary>
    /// Channels last: each batch is reordered to NHWC memory before the network, which then runs on NHWC activations
    /// (cuDNN's NHWC convolutions and batch norm). GPU only; networks without layout-dependent layers ignore it.
    /// </summary>
    public bool ChannelsLast { get; init; }
}

/// <summary>What one finished epoch reports.</summary>
public sealed record EpochReport(int Epoch, int Epochs, double MeanLoss, double TrainAccuracy, double LearningRate, double Seconds, long Images);
