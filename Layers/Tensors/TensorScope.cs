namespace NativeNets.Tensors;

/// <summary>
/// Frees, deterministically, every tensor made inside it:
/// <code>
/// using (var scope = TensorScope.Begin())
/// {
///     var a = new Tensor([1024, 1024]);          // freed when the scope ends
///     var b = scope.Keep(new Tensor([16]));     // outlives the scope
/// }
/// </code>
/// <para>
/// A scope captures each tensor that owns its storage (made by the <see cref="Tensor"/> constructor, the
/// <c>Tensor.Zeros</c>/<c>Tensor.FromArray</c> factories, or the wrappers <see cref="Tensor.FromHostMemory"/> and
/// <see cref="Tensor.FromDevicePointer"/>, whose dispose frees nothing but the wrapper) while it is the innermost
/// open scope of the thread that made the tensor. Views (<see cref="Tensor.Reshape"/>) own nothing and are not captured.
/// When the scope is disposed it disposes every tensor it holds; tensors disposed earlier are skipped (dispose is idempotent).
/// </para>
/// <para>
/// <see cref="Keep(Tensor)"/> takes a tensor out of the scope: it moves to the enclosing scope, which frees it in turn unless it is
/// kept there too; with no enclosing scope the caller owns it and disposes it. Scopes nest, and must end in the reverse
/// order of their beginning (a <c>using</c> block does that); ending an outer scope also ends the inner scopes still open.
/// </para>
/// <para>
/// Scopes are per thread: a tensor made on another thread (a data loader's worker, a <c>Parallel.For</c> body, the
/// continuation of an <c>await</c> that resumed elsewhere) is not captured by this thread's scope; do not <c>await</c>
/// inside a scope. A scope must be ended on the thread that began it.
/// </para>
/// <para>
/// Layers, losses and optimizers keep their buffers (outputs, gradients, momentum) from call to call. A buffer that a
/// layer makes inside a scope (at its first Forward) is freed with the scope, and the layer then fails with an
/// <see cref="ObjectDisposedException"/>: make and first run the layers outside the scope, or keep the whole model's
/// life inside one scope.
/// </para>
/// </summary>
public sealed class TensorScope : IDisposable
{
    [ThreadStatic] private static TensorScope? _current;

    private readonly TensorScope? _outer;
    private readonly int _threadId;
    private readonly List<Tensor> _tensors = [];
    private bool _ended;

    private TensorScope(TensorScope? outer)
    {
        _outer = outer;
        _threadId = Environment.CurrentManagedThreadId;
    }

    /// <summary>Opens a scope on the calling thread, inside the one already open there (if any).</summary>
    public static TensorScope Begin()
    {
        var scope = new TensorScope(_current);
        _current = scope;
        return scope;
    }

    /// <summary>The innermost open scope of the calling thread, or null.</summary>
    public static TensorScope? Current => _current;

    /// <summary>The scope this one was opened in, or null.</summary>
    public TensorScope? Outer => _outer;

    /// <summary>How many tensors the scope holds now (captured, not kept; some may have been disposed already).</summary>
    public int Count => _tensors.Count;

    /// <summary>Called by the tensors that own their storage, as they are made.</summary>
    internal static void Track(Tensor tensor) => _current?._tensors.Add(tensor);

    /// <summary>
    /// Takes <paramref name="tensor"/> out of this scope so that it outlives it: it moves to the enclosing scope, or, at
    /// the outermost scope, to the caller, who then disposes it. A tensor this scope does not hold is returned as it is.
    /// </summary>
    public Tensor Keep(Tensor tensor)
    {
        ArgumentNullException.ThrowIfNull(tensor);
        ObjectDisposedException.ThrowIf(_ended, this);
        // The tensor to keep is usually one of the last made: search from the end.
        for (var i = _tensors.Count - 1; i >= 0; i--)
        {
            if (!ReferenceEquals(_tensors[i], tensor)) continue;
            _tensors.RemoveAt(i);
            _outer?._tensors.Add(tensor);
            break;
        }
        return tensor;
    }

    /// <summary>Keeps each of <paramref name="tensors"/> (see <see cref="Keep(Tensor)"/>).</summary>
    public void Keep(params ReadOnlySpan<Tensor> tensors)
    {
        foreach (var t in tensors) Keep(t);
    }

    /// <summary>Ends the scope (and any inner scope still open): disposes every tensor it holds.</summary>
    public void Dispose()
    {
        if (_ended) return;
        if (Environment.CurrentManagedThreadId != _threadId)
            throw new InvalidOperationException("a TensorScope must be ended on the thread that began it");
        // Inner scopes left open (an exception between Begin and using, or a missing Dispose) end first.
        while (_current is not null && !ReferenceEquals(_current, this) && IsInside(_current)) _current.Dispose();
        _ended = true;
        if (ReferenceEquals(_current, this)) _current = _outer;
        List<Exception>? errors = null;
        foreach (var t in _tensors)
        {
            try
            {
                t.Dispose();
            }
            catch (Exception e)
            {
                (errors ??= []).Add(e);
            }
        }
        _tensors.Clear();
        if (errors is not null) throw new AggregateException("disposing the tensors of a TensorScope failed", errors);
    }

    private bool IsInside(TensorScope scope)
    {
        for (var s = scope._outer; s is not null; s = s._outer)
            if (ReferenceEquals(s, this)) return true;
        return false;
    }
}
