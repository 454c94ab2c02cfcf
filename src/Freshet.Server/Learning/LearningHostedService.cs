using Freshet.Learning.Hosting;
using Microsoft.Extensions.Hosting;

namespace Freshet.Server.Learning;

/// <summary>Starts the learning host with the server and stops it (saving every model) when the server stops.</summary>
internal sealed class LearningHostedService(LearningHost host) : IHostedService
{
    public Task StartAsync(CancellationToken cancellationToken)
    {
        host.Start();
        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken)
    {
        host.Stop();
        return Task.CompletedTask;
    }
}
