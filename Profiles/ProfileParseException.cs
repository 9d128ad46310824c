namespace CotProxy.Profiles;

/// <summary>
/// <c>LLM_PARAMS</c> cannot be understood. The message is one line naming the profile and the key,
/// meant to be printed as it is before the process exits.
/// </summary>
internal sealed class ProfileParseException : Exception
{
    public ProfileParseException()
    {
    }

    public ProfileParseException(string message)
        : base(message)
    {
    }

    public ProfileParseException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
