using NativeNets.Diagnostics;
using Xunit;

namespace NativeNets.Tests.Nets;

public class ProfilingTests
{
    [Theory]
    [InlineData("3:5", 3, 5)]
    [InlineData("4", 4, 4)]
    [InlineData("1:1", 1, 1)]
    public void StepRangesParse(string text, int first, int last) =>
        Assert.Equal((first, last), Profiling.ParseSteps(text));

    [Theory]
    [InlineData("0:2")]
    [InlineData("5:3")]
    [InlineData("a:b")]
    [InlineData("1:2:3")]
    [InlineData("")]
    public void BadStepRangesSayWhatIsExpected(string text)
    {
        var e = Assert.Throws<ArgumentException>(() => Profiling.ParseSteps(text));
        Assert.Contains("--profile-steps", e.Message);
    }

    [Fact]
    public void WithoutAProfilerRangesAreOffAndStepsCostNothing()
    {
        Assert.False(Profiling.Ranges); // no NVTX tool attached in a test run
        Profiling.CaptureSteps = (1, 2);
        try
        {
            // On the CPU backend the capture range is not opened: nothing to capture, nothing to fail.
            Profiling.BeginStep(1, NativeNets.Backends.CpuBackend.Instance);
            Profiling.EndStep(1, NativeNets.Backends.CpuBackend.Instance);
        }
        finally
        {
            Profiling.CaptureSteps = null;
        }
    }
}
