using System.Text;
using CotProxy.Http.Server;

namespace CotProxy.Tests.Http.Server;

public sealed class Latin1TextTests
{
    [Fact]
    public void EqualsBytes_EveryLengthAndEveryPositionOfADifference_AgreesWithDecoding()
    {
        for (var length = 0; length <= 40; length++)
        {
            var bytes = Enumerable.Range(0, length).Select(i => (byte)(0x20 + ((i * 37) % 0xDF))).ToArray();
            var text = Encoding.Latin1.GetString(bytes);
            Assert.True(Latin1Text.EqualsBytes(bytes, text), $"length {length}");
            Assert.False(Latin1Text.EqualsBytes(bytes, text + "x"), $"longer text, length {length}");
            if (length > 0)
            {
                Assert.False(Latin1Text.EqualsBytes(bytes, text[..^1]), $"shorter text, length {length}");
            }

            for (var at = 0; at < length; at++)
            {
                var other = (byte[])bytes.Clone();
                other[at] ^= 0x01;
                Assert.False(Latin1Text.EqualsBytes(other, text), $"length {length}, byte {at}");

                // A char above 0xFF that a byte could match in its low half only.
                var wide = text.ToCharArray();
                wide[at] = (char)(wide[at] | 0x100);
                Assert.False(Latin1Text.EqualsBytes(bytes, new string(wide)), $"length {length}, char {at}");
            }
        }
    }
}
