namespace CotProxy.Configuration;

/// <summary>
/// The command line split into a command, setting values keyed by environment variable name, and
/// the --env-file path. Options: --host, --port, --target, --env-file (each "--x V" or "--x=V"),
/// --demo (optionally "--demo=BOOL"), --version, --help/-h; commands: health-check, config.
/// --help and --version win over everything else on the line, so they work whatever else is wrong.
/// </summary>
internal sealed class CommandLineArguments
{
    private const string CommandList = "health-check, config";

    private CommandLineArguments(ProxyCommand command)
    {
        Command = command;
    }

    public ProxyCommand Command { get; private set; }

    /// <summary>Values given by options, keyed by setting name ("PORT" for --port).</summary>
    public Dictionary<string, string> Values { get; } = new(StringComparer.Ordinal);

    /// <summary>The option that set each value, for error messages ("PORT" → "--port").</summary>
    public Dictionary<string, string> Options { get; } = new(StringComparer.Ordinal);

    /// <summary>The path given to --env-file, as written.</summary>
    public string? EnvFile { get; private set; }

    public static bool TryParse(IReadOnlyList<string> args, out CommandLineArguments parsed, out string error)
    {
        error = "";
        foreach (string arg in args)
        {
            if (arg is "--help" or "-h")
            {
                parsed = new CommandLineArguments(ProxyCommand.Help);
                return true;
            }
        }

        foreach (string arg in args)
        {
            if (arg == "--version")
            {
                parsed = new CommandLineArguments(ProxyCommand.Version);
                return true;
            }
        }

        parsed = new CommandLineArguments(ProxyCommand.Serve);
        bool commandSeen = false;
        for (int i = 0; i < args.Count; i++)
        {
            string arg = args[i];
            if (!arg.StartsWith('-'))
            {
                ProxyCommand? command = arg switch
                {
                    "health-check" => ProxyCommand.HealthCheck,
                    "config" => ProxyCommand.Config,
                    _ => null,
                };
                if (command is null)
                {
                    error = $"unknown command {Quote(arg)} (commands: {CommandList}; see --help)";
                    return false;
                }

                if (commandSeen)
                {
                    error = $"only one command may be given, got {Quote(arg)} after another (commands: {CommandList})";
                    return false;
                }

                commandSeen = true;
                parsed.Command = command.Value;
                continue;
            }

            int equals = arg.StartsWith("--", StringComparison.Ordinal) ? arg.IndexOf('=', StringComparison.Ordinal) : -1;
            string option = equals < 0 ? arg : arg[..equals];
            string? inline = equals < 0 ? null : arg[(equals + 1)..];
            string? setting = option switch
            {
                "--host" => SettingNames.Host,
                "--port" => SettingNames.Port,
                "--target" => SettingNames.TargetBaseUrl,
                "--env-file" => "",
                "--demo" => SettingNames.Demo,
                _ => null,
            };
            if (setting is null)
            {
                error = $"unknown option {Quote(option)} (options: --host, --port, --target, --env-file, --demo, --version, --help)";
                return false;
            }

            string value;
            if (setting == SettingNames.Demo)
            {
                // --demo alone means true; --demo=false is allowed so a script can switch it off.
                value = inline ?? "true";
            }
            else if (inline is not null)
            {
                value = inline;
            }
            else if (i + 1 < args.Count && !args[i + 1].StartsWith('-'))
            {
                value = args[++i];
            }
            else
            {
                error = $"option {option} needs a value (e.g. {option} {Example(option)} or {option}={Example(option)})";
                return false;
            }

            if (value.Length == 0 && setting == SettingNames.Demo)
            {
                error = $"option --demo= needs {SettingValueParser.BooleanSyntax.Replace("expected ", "", StringComparison.Ordinal)} (or --demo alone for true)";
                return false;
            }

            if (value.Length == 0)
            {
                error = $"option {option} needs a non-empty value (e.g. {option} {Example(option)})";
                return false;
            }

            if (setting.Length == 0)
            {
                parsed.EnvFile = value;
            }
            else
            {
                parsed.Values[setting] = value;
                parsed.Options[setting] = option;
            }
        }

        return true;
    }

    /// <summary>A user-supplied text for an error line: quoted, at most 80 characters, control characters escaped.</summary>
    public static string Quote(string text)
    {
        const int Limit = 80;
        var builder = new System.Text.StringBuilder(Math.Min(text.Length, Limit) + 8);
        builder.Append('"');
        foreach (char c in text.Length > Limit ? text.AsSpan(0, Limit) : text.AsSpan())
        {
            if (char.IsControl(c))
            {
                builder.Append("\\u").Append(((int)c).ToString("x4", System.Globalization.CultureInfo.InvariantCulture));
            }
            else
            {
                builder.Append(c);
            }
        }

        builder.Append(text.Length > Limit ? "...\"" : "\"");
        return builder.ToString();
    }

    private static string Example(string option) => option switch
    {
        "--host" => "127.0.0.1",
        "--port" => "5000",
        "--target" => "http://localhost:8080/v1",
        "--env-file" => "./.env",
        _ => "VALUE",
    };
}
