// MemoryBudget, which bounds the compressor memory of parallel cache uploads: what is held at once
// never passes the limit, a request larger than the limit runs alone, and requests are let in in
// the order they came.
namespace Nixsharp.Cli.Tests;

using Nixsharp.Remote;
using Xunit;

public class MemoryBudgetTests
{
    [Fact]
    public void WhatIsHeldAtOnceNeverPassesTheLimit()
    {
        var budget = new MemoryBudget(100);
        long peak = 0, held = 0;
        var sizes = Enumerable.Range(0, 400).Select(i => (long)(i * 37 % 60 + 1)).ToArray();
        Parallel.ForEach(sizes, new ParallelOptions { MaxDegreeOfParallelism = 8 }, size =>
        {
            using var lease = budget.Take(size);
            long now = Interlocked.Add(ref held, size);
            long seen;
            while ((seen = Interlocked.Read(ref peak)) < now && Interlocked.CompareExchange(ref peak, now, seen) != seen) { }
            Thread.SpinWait(2000);
            Interlocked.Add(ref held, -size);
        });
        Assert.InRange(peak, 1, 100);
        Assert.Equal(0, budget.InUse);
    }

    private static async Task<bool> EndsWithin(Task task, int milliseconds) =>
        await Task.WhenAny(task, Task.Delay(milliseconds)) == task;

    [Fact]
    public async Task ARequestLargerThanTheLimitRunsAloneInsteadOfNever()
    {
        var budget = new MemoryBudget(10);
        var small = budget.Take(4);
        var big = Task.Run(() => budget.Take(50));
        Assert.False(await EndsWithin(big, 200)); // waits for the small one
        small.Dispose();
        using var bigLease = await big;
        Assert.Equal(50, budget.InUse);
        var after = Task.Run(() => budget.Take(1));
        Assert.False(await EndsWithin(after, 200)); // and nothing runs beside it
        bigLease.Dispose();
        (await after).Dispose();
        Assert.Equal(0, budget.InUse);
    }

    [Fact]
    public async Task ALargeRequestIsNotOvertakenBySmallOnesThatCameLater()
    {
        var budget = new MemoryBudget(10);
        var first = budget.Take(6);
        var large = Task.Run(() => budget.Take(8));
        SpinWait.SpinUntil(() => budget.Waiting == 1);
        var late = Task.Run(() => budget.Take(2)); // would fit beside the first, but came after the large one
        SpinWait.SpinUntil(() => budget.Waiting == 2);
        Assert.False(await EndsWithin(late, 100));
        first.Dispose();
        (await large).Dispose();
        (await late).Dispose();
        first.Dispose(); // a second dispose gives nothing back twice
        Assert.Equal(0, budget.InUse);
    }
}
