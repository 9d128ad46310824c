using System.Globalization;
using System.Text.RegularExpressions;
using CotProxy.Api;
using CotProxy.Configuration;
using CotProxy.Http.Forwarding;
using CotProxy.Tests.Support;
using YamlDotNet.RepresentationModel;

namespace CotProxy.Tests.Repository;

/// <summary>
/// deploy/kubernetes/ parses, and agrees with the binary it runs: the port and health paths the code answers, the uid
/// of the Dockerfile, SHUTDOWN_TIMEOUT's default, the settings it names; and its pieces agree with each other.
/// </summary>
public sealed partial class KubernetesManifestsTests
{
    private const string Folder = "deploy/kubernetes";
    private const string ConfigKey = "cot-proxy.yaml";

    [Fact]
    public void EveryFile_ParsesAsKubernetesObjects()
    {
        var files = Directory.GetFiles(RepositoryFile.PathOf(Folder), "*.yaml");

        Assert.NotEmpty(files);
        foreach (var file in files)
        {
            foreach (var document in Load(file))
            {
                Assert.True(document.Children.ContainsKey("apiVersion"), file);
                Assert.True(document.Children.ContainsKey("kind"), file);
            }
        }
    }

    [Fact]
    public void Kustomization_ListsEveryManifest()
    {
        var listed = Sequence(Single("Kustomization"), "resources").Select(Text).Order();
        var present = Directory.GetFiles(RepositoryFile.PathOf(Folder), "*.yaml").Select(Path.GetFileName).Where(name => name != "kustomization.yaml").Order();

        Assert.Equal(present, listed);
    }

    [Fact]
    public void Container_PortAndProbePaths_AreWhatTheProxyServes()
    {
        var container = Container();
        var port = Map(Sequence(container, "ports").Single());
        var env = EnvValues(container);

        Assert.Equal(ProxySettings.DefaultPort, Int(port, "containerPort"));
        Assert.Equal(ProxySettings.DefaultPort.ToString(CultureInfo.InvariantCulture), env["PORT"]);
        Assert.Equal("0.0.0.0", env["HOST"]);
        Assert.Equal(HealthEndpoint.ReadyPath, Text(At(container, "readinessProbe", "httpGet", "path")));
        Assert.Equal(HealthEndpoint.LivePath, Text(At(container, "livenessProbe", "httpGet", "path")));
        Assert.Equal(Text(port["name"]), Text(At(container, "readinessProbe", "httpGet", "port")));
        Assert.Equal(Text(port["name"]), Text(At(container, "livenessProbe", "httpGet", "port")));
    }

    [Fact]
    public void ReadinessProbe_WaitsLongerThanTheProxyAsksTheUpstream()
    {
        var probe = Map(At(Container(), "readinessProbe"));

        Assert.True(Int(probe, "timeoutSeconds") > UpstreamOptions.DefaultHealthTimeout.TotalSeconds);
        Assert.True(Int(probe, "periodSeconds") >= CachedProbe.DefaultLifetime.TotalSeconds);
    }

    [Fact]
    public void PodAndContainer_RunAsTheImagesUser_ReadOnly()
    {
        var uid = DockerfileUid();
        var pod = Map(At(PodSpec(), "securityContext"));
        var container = Map(At(Container(), "securityContext"));

        foreach (var context in new[] { pod, container })
        {
            Assert.Equal(uid, Int(context, "runAsUser"));
            Assert.Equal(uid, Int(context, "runAsGroup"));
            Assert.Equal("true", Text(context["runAsNonRoot"]));
        }

        Assert.Equal("true", Text(container["readOnlyRootFilesystem"]));
        Assert.Equal("false", Text(container["allowPrivilegeEscalation"]));
    }

    [Fact]
    public void GracePeriod_CoversPreStopPauseAndShutdownTimeout()
    {
        var container = Container();
        var pause = Int(Map(At(container, "lifecycle", "preStop", "sleep")), "seconds");
        var shutdown = EnvValues(container).TryGetValue(SettingNames.ShutdownTimeout, out var value)
            ? int.Parse(value, CultureInfo.InvariantCulture)
            : (int)ProxySettings.DefaultShutdownTimeout.TotalSeconds;
        var grace = Int(PodSpec(), "terminationGracePeriodSeconds");
        var readiness = Map(At(container, "readinessProbe"));

        Assert.True(pause > 0);
        Assert.True(grace >= pause + shutdown, $"terminationGracePeriodSeconds {grace} < preStop {pause} + SHUTDOWN_TIMEOUT {shutdown}");
        Assert.True(shutdown >= ProxySettings.DefaultShutdownTimeout.TotalSeconds);
        // The pause lasts as long as the readiness probe takes to fail the pod out of the endpoints.
        Assert.Equal(Int(readiness, "periodSeconds") * Int(readiness, "failureThreshold"), pause);
    }

    [Fact]
    public void Resources_RequestsAndLimitsForCpuAndMemory()
    {
        var resources = Map(At(Container(), "resources"));

        foreach (var kind in new[] { "requests", "limits" })
        {
            var values = Map(resources[kind]);
            Assert.True(values.Children.ContainsKey("cpu"), kind);
            Assert.True(values.Children.ContainsKey("memory"), kind);
        }
    }

    [Fact]
    public void Environment_NamesOnlySettingsTheBinaryReads()
    {
        HashSet<string> known = [.. SettingsCatalog.All.Select(s => s.Name), "COT_CONFIG"];

        Assert.DoesNotContain(EnvValues(Container()).Keys, name => !known.Contains(name));
    }

    [Fact]
    public void ConfigFile_FromTheConfigMap_WhereCotConfigPoints()
    {
        var container = Container();
        var configMap = Single("ConfigMap");
        var (mountPath, volume) = MountedVolume(container, "configMap");

        Assert.Equal(Text(At(configMap, "metadata", "name")), Text(volume["name"]));
        Assert.True(Map(configMap["data"]).Children.ContainsKey(ConfigKey));
        Assert.Contains(Sequence(volume, "items").Select(Map), item => Text(item["key"]) == ConfigKey && Text(item["path"]) == ConfigKey);
        Assert.Equal(mountPath + "/" + ConfigKey, EnvValues(container)["COT_CONFIG"]);

        // The embedded file is YAML itself.
        var embedded = new YamlStream();
        embedded.Load(new StringReader(Text(Map(configMap["data"])[ConfigKey])));
        Assert.Single(embedded.Documents);
    }

    [Fact]
    public void Keys_FromTheSecret()
    {
        var container = Container();
        var secret = Single("Secret");
        var secretName = Text(At(secret, "metadata", "name"));
        var secretKeys = Map(secret["stringData"]).Children.Keys.Select(Text).ToHashSet();
        var (mountPath, volume) = MountedVolume(container, "secret");

        Assert.Equal(secretName, Text(volume["secretName"]));
        var item = Map(Sequence(volume, "items").Single());
        Assert.Contains(Text(item["key"]), secretKeys);
        Assert.Equal(mountPath + "/" + Text(item["path"]), EnvValues(container)[SettingNames.ProxyApiKeysFile]);

        var targetKey = Sequence(container, "env").Select(Map).Single(e => Text(e["name"]) == SettingNames.TargetApiKey);
        var reference = Map(At(targetKey, "valueFrom", "secretKeyRef"));
        Assert.Equal(secretName, Text(reference["name"]));
        Assert.Contains(Text(reference["key"]), secretKeys);
    }

    [Fact]
    public void Service_SelectsThePodsAndTheirPort()
    {
        var service = Map(Single("Service")["spec"]);
        var podLabels = Map(At(Single("Deployment"), "spec", "template", "metadata", "labels"));

        foreach (var (name, value) in Map(service["selector"]).Children)
        {
            Assert.Equal(Text(value), Text(podLabels[name]));
        }

        var port = Map(Sequence(service, "ports").Single());
        Assert.Equal(Text(Map(Sequence(Container(), "ports").Single())["name"]), Text(port["targetPort"]));
    }

    [Fact]
    public void Autoscaler_ScalesTheDeploymentOnCpu()
    {
        var hpa = Single("HorizontalPodAutoscaler");
        var spec = Map(hpa["spec"]);

        Assert.Equal("autoscaling/v2", Text(hpa["apiVersion"]));
        Assert.Equal("Deployment", Text(At(spec, "scaleTargetRef", "kind")));
        Assert.Equal(Text(At(Single("Deployment"), "metadata", "name")), Text(At(spec, "scaleTargetRef", "name")));
        Assert.Equal("cpu", Text(At(Map(Sequence(spec, "metrics").Single()), "resource", "name")));
        Assert.True(Int(spec, "minReplicas") >= 2);
    }

    private static IEnumerable<YamlMappingNode> Load(string file)
    {
        var stream = new YamlStream();
        using (var reader = new StreamReader(file))
        {
            stream.Load(reader);
        }

        return stream.Documents.Select(d => Map(d.RootNode));
    }

    private static YamlMappingNode Single(string kind) =>
        Directory.GetFiles(RepositoryFile.PathOf(Folder), "*.yaml").SelectMany(Load).Single(d => Text(d["kind"]) == kind);

    private static YamlMappingNode PodSpec() => Map(At(Single("Deployment"), "spec", "template", "spec"));

    private static YamlMappingNode Container() => Map(Sequence(PodSpec(), "containers").Single());

    /// <summary>The container's env entries that have a plain value.</summary>
    private static Dictionary<string, string> EnvValues(YamlMappingNode container) =>
        Sequence(container, "env").Select(Map).Where(e => e.Children.ContainsKey("value")).ToDictionary(e => Text(e["name"]), e => Text(e["value"]));

    /// <summary>The one volume of the given source (configMap, secret) and where the container mounts it.</summary>
    private static (string MountPath, YamlMappingNode Source) MountedVolume(YamlMappingNode container, string sourceKind)
    {
        var volume = Sequence(PodSpec(), "volumes").Select(Map).Single(v => v.Children.ContainsKey(sourceKind));
        var mount = Sequence(container, "volumeMounts").Select(Map).Single(m => Text(m["name"]) == Text(volume["name"]));
        Assert.Equal("true", Text(mount["readOnly"]));
        return (Text(mount["mountPath"]), Map(volume[sourceKind]));
    }

    /// <summary>The uid of the Dockerfile's USER line, which names the same number as its gid.</summary>
    private static int DockerfileUid()
    {
        var line = RepositoryFile.Lines("Dockerfile").Single(l => l.StartsWith("USER ", StringComparison.Ordinal));
        var match = UserLine().Match(line);
        Assert.Equal(match.Groups[1].Value, match.Groups[2].Value);
        return int.Parse(match.Groups[1].Value, CultureInfo.InvariantCulture);
    }

    private static YamlNode At(YamlNode node, params string[] keys)
    {
        foreach (var key in keys)
        {
            node = Map(node)[key];
        }

        return node;
    }

    private static IEnumerable<YamlNode> Sequence(YamlNode node, string key) => ((YamlSequenceNode)Map(node)[key]).Children;

    private static YamlMappingNode Map(YamlNode node) => (YamlMappingNode)node;

    private static string Text(YamlNode node) => ((YamlScalarNode)node).Value ?? "";

    private static int Int(YamlNode node, string key) => int.Parse(Text(Map(node)[key]), CultureInfo.InvariantCulture);

    [GeneratedRegex(@"^USER (\d+):(\d+)$")]
    private static partial Regex UserLine();
}
