namespace Commitments.Grains.Index;

/// <summary>Codes staff type in a reply ("YES K7"): a letter and a digit, without look-alikes (I, O, 0, 1).</summary>
public static class ReplyCodes
{
    private const string Letters = "ABCDEFGHJKLMNPQRSTUVWXYZ";
    private const string Digits = "23456789";
    private const int TwoCharacter = 24 * 8;
    private const int ThreeCharacter = 24 * 90;

    /// <summary>How many codes there are; <see cref="At"/> repeats after them.</summary>
    public const int Count = TwoCharacter + ThreeCharacter + (24 * 10_000);

    /// <summary>
    /// The <paramref name="index"/>-th code: two characters first, then a letter and two digits, then a letter and four
    /// digits (Z first, as codes were before the other letters took four digits).
    /// </summary>
    public static string At(int index)
    {
        index = (int)((uint)index % Count);
        if (index < TwoCharacter)
        {
            return $"{Letters[index / Digits.Length]}{Digits[index % Digits.Length]}";
        }

        index -= TwoCharacter;
        if (index < ThreeCharacter)
        {
            return $"{Letters[index / 90]}{10 + (index % 90)}";
        }

        index -= ThreeCharacter;
        var letter = (Letters.Length - 1 + (index / 10_000)) % Letters.Length;
        return $"{Letters[letter]}{index % 10_000:D4}";
    }

    public static bool LooksLikeCode(string token) =>
        token.Length is >= 2 and <= 5 && char.IsAsciiLetter(token[0]) && token[1..].All(char.IsAsciiDigit);
}
