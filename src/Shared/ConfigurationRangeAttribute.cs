using System.ComponentModel.DataAnnotations;

namespace Mimisbrunnr;

/// <summary>
/// An integer range whose failure message is the <see cref="ValidationAttribute.ErrorMessage"/> as written (naming the
/// configuration key). The options validator generator replaces <see cref="RangeAttribute"/> itself with a copy that
/// ignores <c>ErrorMessage</c>; a derived attribute is used as it is. Compiled into each package that needs it.
/// </summary>
[AttributeUsage(AttributeTargets.Property)]
internal sealed class ConfigurationRangeAttribute(int minimum, int maximum) : RangeAttribute(minimum, maximum);
