using System.Runtime.InteropServices;
using NativeNets.Native;

namespace NativeNets.Backends;

/// <summary>What the driver reports about one device.</summary>
public sealed record CudaDeviceInfo(int Index, string Name, int ComputeCapability, long TotalMemory, int Multiprocessors, string PciBusId);

/// <summary>The CUDA devices of this machine, through the driver API; every failure becomes a <see cref="CudaUnavailableException"/> that says why.</summary>
public static unsafe class CudaDevices
{
    private static readonly Lock InitLock = new();
    private static CUresult? _init;

    /// <summary>Initialises the driver once and returns the device count; throws with the reason where there is no usable GPU.</summary>
    public static int Count()
    {
        lock (InitLock)
        {
            if (_init is null)
            {
                try
                {
                    NativeLibraries.Require(NativeLibraries.Cuda);
                }
                catch (NativeLibraryNotFoundException e)
                {
                    throw new CudaUnavailableException($"no CUDA driver on this machine: {e.Message}", e);
                }
                _init = Cuda.cuInit(0);
            }
            if (_init == CUresult.CUDA_ERROR_NO_DEVICE)
                throw new CudaUnavailableException("the CUDA driver is installed but found no GPU (cuInit: CUDA_ERROR_NO_DEVICE)");
            if (_init != CUresult.CUDA_SUCCESS)
                throw new CudaUnavailableException($"the CUDA driver failed to initialise (cuInit: {_init})");
        }
        int count;
        Cuda.Check(Cuda.cuDeviceGetCount(&count));
        if (count == 0) throw new CudaUnavailableException("the CUDA driver found no GPU (cuDeviceGetCount: 0)");
        return count;
    }

    /// <summary>The count, or 0 with the reason, without throwing (for doctor and for tests that skip).</summary>
    public static int TryCount(out string? reason)
    {
        try
        {
            reason = null;
            return Count();
        }
        catch (CudaUnavailableException e)
        {
            reason = e.Message;
            return 0;
        }
        catch (NativeCallException e)
        {
            reason = e.Message;
            return 0;
        }
    }

    public static int DriverVersion()
    {
        Count();
        int v;
        Cuda.Check(Cuda.cuDriverGetVersion(&v));
        return v;
    }

    public static CudaDeviceInfo Describe(int index)
    {
        Count();
        int dev;
        Cuda.Check(Cuda.cuDeviceGet(&dev, index));
        var name = stackalloc byte[256];
        Cuda.Check(Cuda.cuDeviceGetName(name, 256, dev));
        var bus = stackalloc byte[64];
        var busId = Cuda.cuDeviceGetPCIBusId(bus, 64, dev) == CUresult.CUDA_SUCCESS ? Marshal.PtrToStringUTF8((nint)bus) ?? "" : "";
        int major, minor, sms;
        Cuda.Check(Cuda.cuDeviceGetAttribute(&major, CUdevice_attribute.CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MAJOR, dev));
        Cuda.Check(Cuda.cuDeviceGetAttribute(&minor, CUdevice_attribute.CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MINOR, dev));
        Cuda.Check(Cuda.cuDeviceGetAttribute(&sms, CUdevice_attribute.CU_DEVICE_ATTRIBUTE_MULTIPROCESSOR_COUNT, dev));
        nuint total;
        Cuda.Check(Cuda.cuDeviceTotalMem(&total, dev));
        return new CudaDeviceInfo(index, Marshal.PtrToStringUTF8((nint)name) ?? $"device {index}", major * 10 + minor, (long)total, sms, busId);
    }
}
