// YAML parsing for the config file and the values of override variables: YAML 1.2 (the `yaml` package's
// default), plus one guard, because a digit string written unquoted with a leading zero silently loses it.
import YAML from "yaml";

// `restricted_numbers: [0786]` is the number 786 in YAML 1.2 (and 0786 or octal in YAML 1.1 readers such as
// PyYAML): whatever the reader, the leading zero the operator meant is gone. Refuse it and ask for quotes.
const leadingZero = {
  identify: () => false,
  default: true,
  tag: "tag:yaml.org,2002:int",
  test: /^[-+]?0[0-9]+$/,
  resolve(source: string, onError: (message: string) => void) {
    onError(`${source} has a leading zero, which YAML drops; write it in quotes ("${source}")`);
    return source;
  },
};

/** Parses YAML text; on a syntax error throws an Error whose one-line message gives the reason, line and column. */
export function parseYaml(text: string): unknown {
  try {
    return YAML.parse(text, { customTags: (tags) => [leadingZero, ...tags] });
  } catch (error) {
    throw new Error(String((error as Error).message).split("\n")[0]!.replace(/:$/, ""));
  }
}
