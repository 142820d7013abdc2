// Running work over store paths on several threads while keeping the one rule copies have: a path
// is done only after the paths it refers to (a cache must never list a path whose references it
// lacks). Items become ready as their references finish; the first failure stops new starts.
namespace Nixsharp.Remote;

using System.Runtime.ExceptionServices;

internal static class ReferencesFirst
{
    /// <summary>Calls `body(i)` for every item, on up to `jobs` threads, each item only after the
    /// items named in its references have finished (references outside the list, and an item's
    /// reference to itself, do not count). Items are given references first; with one job they run
    /// in that order. Rethrows the first failure once the running items have ended.</summary>
    public static void Run(IReadOnlyList<(string Path, IEnumerable<string> References)> items, int jobs, Action<int> body)
    {
        int n = items.Count;
        if (jobs <= 1 || n <= 1)
        {
            for (int i = 0; i < n; i++) body(i);
            return;
        }
        var index = new Dictionary<string, int>(n, StringComparer.Ordinal);
        for (int i = 0; i < n; i++) index[items[i].Path] = i;
        var waitingOn = new int[n];
        var dependents = new List<int>?[n];
        for (int i = 0; i < n; i++)
        {
            foreach (var r in items[i].References)
            {
                if (r == items[i].Path || !index.TryGetValue(r, out var j)) continue;
                waitingOn[i]++;
                (dependents[j] ??= new List<int>()).Add(i);
            }
        }
        var ready = new Queue<int>();
        for (int i = 0; i < n; i++) if (waitingOn[i] == 0) ready.Enqueue(i);

        var gate = new object();
        int started = 0, running = 0;
        Exception? failure = null;
        void Work()
        {
            while (true)
            {
                int i;
                lock (gate)
                {
                    while (failure is null && ready.Count == 0 && started < n)
                    {
                        if (running == 0)
                        {
                            failure = new InvalidOperationException("the references of the paths to copy form a cycle");
                            Monitor.PulseAll(gate);
                            return;
                        }
                        Monitor.Wait(gate);
                    }
                    if (failure is not null || ready.Count == 0) return;
                    i = ready.Dequeue();
                    started++;
                    running++;
                }
                try
                {
                    body(i);
                }
                catch (Exception e)
                {
                    lock (gate)
                    {
                        failure ??= e;
                        running--;
                        Monitor.PulseAll(gate);
                    }
                    return;
                }
                lock (gate)
                {
                    running--;
                    if (dependents[i] is { } ds)
                        foreach (var d in ds)
                            if (--waitingOn[d] == 0) ready.Enqueue(d);
                    Monitor.PulseAll(gate);
                }
            }
        }
        var threads = Enumerable.Range(0, Math.Min(jobs, n)).Select(_ => new Thread(Work) { IsBackground = true }).ToList();
        foreach (var t in threads) t.Start();
        foreach (var t in threads) t.Join();
        if (failure is not null) ExceptionDispatchInfo.Capture(failure).Throw();
    }
}
