using NativeNets.Native;
using Xunit;

namespace NativeNets.Tests.Distributed;

/// <summary>The MPI binding in this process, without MPI_Init: Open MPI detected, error text and class names, the exception's message.</summary>
public class MpiBindingTests
{
    private static void RequireLibmpi() =>
        Assert.SkipUnless(NativeLibraries.Load(NativeLibraries.Mpi).Found, "libmpi is not installed (apt-get install libopenmpi-dev)");

    [Fact]
    public void OpenMpiIsDetectedAndItsHandlesResolve()
    {
        RequireLibmpi();
        Assert.True(Mpi.IsOpenMpi);
        Mpi.RequireOpenMpi();
        Assert.StartsWith("Open MPI", Mpi.LibraryVersion());
        Assert.NotEqual(0, Mpi.MPI_COMM_WORLD);
        Assert.NotEqual(Mpi.MPI_FLOAT, Mpi.MPI_DOUBLE);
        Assert.Equal(NativeLibraries.Export(NativeLibraries.Mpi, "ompi_mpi_op_sum"), Mpi.MPI_SUM);
        Assert.Equal(1, Mpi.MPI_IN_PLACE);
    }

    [Fact]
    public void ErrorsCarryTheCallAndTheClassEvenBeforeMpiInit()
    {
        // Open MPI aborts the process if MPI_Error_class/MPI_Error_string run before MPI_Init: the binding must not call
        // them then (this test would end the test run if it did). MPI's own text is checked under mpirun (the probe's
        // "error" mode: "MPI_ERR_ROOT: invalid root").
        RequireLibmpi();
        Assert.False(Mpi.IsActive());
        Assert.Equal("MPI_ERR_COMM", Mpi.ErrorClassName(5));
        Assert.Contains("MPI error 5", Mpi.ErrorText(5));
        var bcastStatus = 8;
        var e = Assert.Throws<MpiException>(() => Mpi.Check(bcastStatus));
        Assert.StartsWith("bcastStatus failed: MPI_ERR_ROOT (8)", e.Message); // the call as written, then the class
        Assert.IsAssignableFrom<NativeCallException>(e);
        Assert.Equal(8, e.Status);
        Mpi.Check(Mpi.MPI_SUCCESS);
    }
}
