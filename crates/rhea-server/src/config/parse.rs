//! Start-up configuration: the command line (7.0.15 `main()` in `server.c`) and redis.conf
//! text (`loadServerConfig` / `loadServerConfigFromString` in `config.c`).
//!
//! The command line `[config-file] [-] [--name arg…]…` is turned into one text: the file,
//! then stdin if `-` was given, then a newline and one line per `--name` option, with each
//! separate argument quoted by `repr` (`--port 7000` becomes `port "7000"`). That text is
//! parsed line by line; the first bad line stops everything with Redis's FATAL block.

use std::io::Read;
use std::path::{Path, PathBuf};

use rhea_resp::split::{repr, split_args};

use super::LoadedConfig;
use super::error::ConfigError;
use super::kinds::{self, SaveMode};
use super::params::{MULTI_ARG, Special, lookup};
use super::sentinel_mode::SentinelLine;
use super::settings::Config;
use super::units::{cstr, strerror};
use crate::engine::table::CommandTable;

/// Deeper `include` chains are refused (Redis recurses until it crashes).
const MAX_INCLUDE_DEPTH: usize = 64;

/// The state of one load (Redis keeps it in statics and globals).
struct Loader {
    cfg: Config,
    /// `reading_config_file`: set while a file's lines are being read and cleared when any
    /// file (an included one too) ends, after which `save` lines replace instead of add.
    reading_file: bool,
    /// `save_loaded`: the first `save` line has dropped the default save points.
    save_loaded: bool,
    depth: usize,
    /// Sentinel mode: `sentinel …` lines are queued here (Redis's `queueSentinelConfig`)
    /// for the Sentinel to apply once the whole configuration is read. `None` outside
    /// Sentinel mode, where such a line is an error.
    sentinel_lines: Option<Vec<SentinelLine>>,
    /// The command table `rename-command` and `user` lines are checked against, renamed
    /// as the lines go (Redis renames in its live table while loading); see `table()`.
    table: Option<CommandTable>,
}

/// Load the configuration from the command line, as `redis-server` does.
pub(crate) fn load_from(
    args: &[String],
    stdin: &mut dyn Read,
) -> Result<LoadedConfig, ConfigError> {
    load_mode(args, stdin, false).map(|(loaded, _)| loaded)
}

/// [`load_from`] in Sentinel mode: Sentinel's defaults, and the `sentinel …` lines
/// returned in file order instead of refused.
pub(crate) fn load_sentinel_mode(
    args: &[String],
    stdin: &mut dyn Read,
) -> Result<(LoadedConfig, Vec<SentinelLine>), ConfigError> {
    load_mode(args, stdin, true)
}

fn load_mode(
    args: &[String],
    stdin: &mut dyn Read,
    sentinel_mode: bool,
) -> Result<(LoadedConfig, Vec<SentinelLine>), ConfigError> {
    let mut loader = Loader {
        cfg: if sentinel_mode { Config::sentinel_default() } else { Config::default() },
        reading_file: false,
        save_loaded: false,
        depth: 0,
        sentinel_lines: sentinel_mode.then(Vec::new),
        table: None,
    };
    let (path, from_stdin, options) = command_line(args, &loader.cfg.dir);
    if args.is_empty() {
        let loaded = LoadedConfig { config: loader.cfg, path: None, from_stdin: false };
        return Ok((loaded, Vec::new()));
    }
    let mut text = Vec::new();
    if let Some(p) = &path {
        text = read_file(p, &p.to_string_lossy())?;
    }
    if from_stdin {
        stdin.read_to_end(&mut text).map_err(|e| ConfigError::Global { reason: strerror(&e) })?;
    }
    text.push(b'\n');
    text.extend_from_slice(&options);
    loader.load_text(&text)?;
    let sentinel_lines = loader.sentinel_lines.take().unwrap_or_default();
    Ok((LoadedConfig { config: loader.cfg, path, from_stdin }, sentinel_lines))
}

/// Split `main()`'s argv handling out: the absolute config file path, whether `-` asks for
/// stdin, and the options text.
fn command_line(args: &[String], cwd: &str) -> (Option<PathBuf>, bool, Vec<u8>) {
    let mut j = 0;
    let mut path = None;
    if let Some(first) = args.first().filter(|a| !a.starts_with('-')) {
        path = Some(absolute_path(first, cwd));
        j = 1;
    }
    let last = args.len().saturating_sub(1);
    let mut from_stdin = false;
    let mut options: Vec<u8> = Vec::new();
    let mut handled_last_arg = true;
    while j < args.len() {
        let a = args[j].as_str();
        let next_is_option = args.get(j + 1).is_some_and(|n| n.starts_with("--"));
        if a == "-" && (j == 0 || j == last) {
            from_stdin = true;
        } else if handled_last_arg && a.starts_with("--") {
            if !options.is_empty() {
                options.push(b'\n');
            }
            options.extend_from_slice(&a.as_bytes()[2..]);
            options.push(b' ');
            if split_args(a.as_bytes()).map_or(0, |v| v.len()) == 1 {
                // Only the name so far: its arguments follow, except for the 7.0 special
                // cases where `--save` means `save ""` and `--sentinel` takes none.
                handled_last_arg = false;
                let is = |name: &str| a.eq_ignore_ascii_case(name);
                if is("--save") && (j == last || next_is_option) {
                    options.extend_from_slice(b"\"\"");
                    handled_last_arg = j != last;
                } else if is("--sentinel") && j != last && next_is_option {
                    handled_last_arg = true;
                }
            } else {
                handled_last_arg = true;
            }
        } else {
            options.extend_from_slice(repr(a.as_bytes()).as_bytes());
            options.push(b' ');
            handled_last_arg = true;
        }
        j += 1;
    }
    (path, from_stdin, options)
}

/// Redis's `getAbsolutePath`: trim blanks, keep an absolute path, else join it to the
/// working directory, consuming leading `../` components.
fn absolute_path(name: &str, cwd: &str) -> PathBuf {
    let mut rel = name.trim_matches([' ', '\r', '\n', '\t']);
    if rel.starts_with('/') {
        return PathBuf::from(rel);
    }
    let mut abs = cwd.to_string();
    if !abs.ends_with('/') {
        abs.push('/');
    }
    while let Some(rest) = rel.strip_prefix("../") {
        rel = rest;
        if abs.len() > 1 {
            let cut = abs[..abs.len() - 1].rfind('/').map_or(0, |i| i + 1);
            abs.truncate(cut);
        }
    }
    abs.push_str(rel);
    PathBuf::from(abs)
}

/// Read a whole config file; `shown` is the name used in the error.
fn read_file(path: &Path, shown: &str) -> Result<Vec<u8>, ConfigError> {
    std::fs::read(path)
        .map_err(|e| ConfigError::Open { path: shown.to_string(), reason: strerror(&e) })
}

impl Loader {
    /// `loadServerConfigFromString`.
    fn load_text(&mut self, text: &[u8]) -> Result<(), ConfigError> {
        self.reading_file = true;
        // Redis measures the text with strlen().
        let text = cstr(text);
        for (i, raw) in text.split(|&c| c == b'\n').enumerate() {
            let line = trim(raw);
            if line.is_empty() || line[0] == b'#' {
                continue;
            }
            self.load_line(i + 1, line).map_err(|e| match e {
                LineError::Reason(reason) => ConfigError::line(i + 1, line, reason),
                LineError::Nested(e) => e,
            })?;
        }
        if !self.cfg.logfile.is_empty() {
            let path = Path::new(&self.cfg.dir).join(&self.cfg.logfile);
            if let Err(e) = std::fs::OpenOptions::new().append(true).create(true).open(path) {
                return Err(ConfigError::Global {
                    reason: format!("Can't open the log file: {}", strerror(&e)),
                });
            }
        }
        self.reading_file = false;
        Ok(())
    }

    /// One non-blank, non-comment line.
    fn load_line(&mut self, n: usize, line: &[u8]) -> Result<(), LineError> {
        let argv = split_args(line).ok_or("Unbalanced quotes in configuration line")?;
        let Some(first) = argv.first() else {
            return Ok(());
        };
        let name = first.to_ascii_lowercase();
        let argc = argv.len();
        if let Some((p, _)) = lookup(&name) {
            let multi = p.has(MULTI_ARG);
            if !multi && argc != 2 {
                return Err("wrong number of arguments".into());
            }
            // `--save "60 1"` arrives as one argument: multi-argument parameters split it.
            let args = if multi && argc == 2 && !argv[1].is_empty() {
                split_args(&argv[1]).unwrap_or_default()
            } else {
                argv[1..].to_vec()
            };
            let is_save = matches!(p.kind, super::params::Kind::Special(Special::Save));
            let mode = if is_save && self.reading_file && self.save_loaded {
                SaveMode::Append
            } else {
                SaveMode::Replace
            };
            kinds::apply(&mut self.cfg, p, &args, mode)?;
            if is_save {
                self.save_loaded = true;
            }
            return Ok(());
        }
        // Directives 7.0 still accepts and ignores.
        if matches!(
            name.as_slice(),
            b"list-max-ziplist-entries" | b"list-max-ziplist-value" | b"lua-replicate-commands"
        ) && argc == 2
        {
            return Ok(());
        }
        match name.as_slice() {
            b"include" if argc == 2 => self.include(&argv[1]),
            b"rename-command" if argc == 3 => self.rename_command(&argv[1], &argv[2]),
            b"user" if argc >= 2 => self.user_line(&argv),
            b"loadmodule" if argc >= 2 => {
                Err("loadmodule is not supported by Rhea (no module API)".into())
            }
            n if n.contains(&b'.') => {
                if argc < 2 {
                    Err("Module config specified without value".into())
                } else {
                    Err("module configuration is not supported by Rhea (no module API)".into())
                }
            }
            b"sentinel" if argc != 1 => match &mut self.sentinel_lines {
                Some(queue) => {
                    queue.push(SentinelLine {
                        line: n,
                        text: String::from_utf8_lossy(line).into_owned(),
                        args: argv[1..].to_vec(),
                    });
                    Ok(())
                }
                None => Err("sentinel directive while not in sentinel mode".into()),
            },
            // A bare `sentinel` line is how `--sentinel` reaches the parser; the caller has
            // already chosen the process role by then (Redis's checkForSentinelMode).
            b"sentinel" => Ok(()),
            _ => Err("Bad directive or wrong number of arguments".into()),
        }
    }

    /// `include <path>`: load the file as its own text (its errors name its own lines),
    /// relative to the current `dir`, as Redis's relative `fopen` after a `chdir` is.
    fn include(&mut self, path: &[u8]) -> Result<(), LineError> {
        if self.depth >= MAX_INCLUDE_DEPTH {
            return Err("include nesting is too deep".into());
        }
        let shown = String::from_utf8_lossy(cstr(path)).into_owned();
        let text =
            read_file(&Path::new(&self.cfg.dir).join(&shown), &shown).map_err(LineError::Nested)?;
        self.depth += 1;
        let r = self.load_text(&text);
        self.depth -= 1;
        r.map_err(LineError::Nested)
    }

    /// The command table this process will serve (Sentinel's in Sentinel mode), with the
    /// `rename-command` lines read so far applied; built at the first line that needs it.
    fn table(&mut self) -> &mut CommandTable {
        let sentinel = self.sentinel_lines.is_some();
        self.table.get_or_insert_with(|| {
            if sentinel {
                crate::cmd::sentinel_command_table()
            } else {
                crate::cmd::command_table()
            }
        })
    }

    /// `rename-command`: checked against the table this process will serve (Sentinel's
    /// in Sentinel mode), and recorded for the engine to apply.
    fn rename_command(&mut self, from: &[u8], to: &[u8]) -> Result<(), LineError> {
        self.table().rename(from, to)?;
        self.cfg.renamed_commands.push((from.to_vec(), to.to_vec()));
        Ok(())
    }

    /// `user <name> <rules…>` (`ACLAppendUserForLoading`): refuse a second line for the
    /// same user and rules that cannot be valid whatever the command table; the users are
    /// created when the server starts. The error names `argv[j]` for the j-th bad rule,
    /// an off-by-two Redis 7.0 has, kept for identical messages.
    fn user_line(&mut self, argv: &[Vec<u8>]) -> Result<(), LineError> {
        let declared = |a: &[u8]| String::from_utf8_lossy(a).into_owned();
        if self.cfg.user_lines.iter().any(|l| l[0] == argv[1]) {
            return Err(format!(
                "Error in user declaration '{}': Duplicate user found. A user can only be \
                 defined once in config files",
                declared(&argv[1])
            )
            .into());
        }
        if let Err((j, why)) = crate::acl::validate_config_line(self.table(), &argv[2..]) {
            return Err(format!("Error in user declaration '{}': {why}", declared(&argv[j])).into());
        }
        self.cfg.user_lines.push(argv[1..].to_vec());
        Ok(())
    }
}

/// Why a line failed: a reason for the FATAL block, or an error already complete (from
/// an included file).
enum LineError {
    Reason(String),
    Nested(ConfigError),
}

impl From<&str> for LineError {
    fn from(s: &str) -> Self {
        LineError::Reason(s.to_string())
    }
}

impl From<String> for LineError {
    fn from(s: String) -> Self {
        LineError::Reason(s)
    }
}

fn trim(mut s: &[u8]) -> &[u8] {
    const BLANK: &[u8] = b" \t\r\n";
    while let [first, rest @ ..] = s {
        if !BLANK.contains(first) {
            break;
        }
        s = rest;
    }
    while let [rest @ .., last] = s {
        if !BLANK.contains(last) {
            break;
        }
        s = rest;
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    fn load(args: &[&str]) -> Result<LoadedConfig, ConfigError> {
        let args: Vec<String> = args.iter().map(|s| s.to_string()).collect();
        load_from(&args, &mut std::io::empty())
    }

    fn load_text(text: &str) -> Result<Config, ConfigError> {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("t.conf");
        std::fs::write(&path, text).unwrap();
        load(&[path.to_str().unwrap()]).map(|l| l.config)
    }

    fn line_err(text: &str) -> (usize, String, String) {
        match load_text(text).unwrap_err() {
            ConfigError::Line { line, text, reason } => (line, text, reason),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn options_are_quoted_like_redis_main() {
        let args: Vec<String> =
            ["--port", "7000", "--save", "--requirepass", "a b", "--maxmemory 1gb", "-"]
                .iter()
                .map(|s| s.to_string())
                .collect();
        let (path, stdin, opts) = command_line(&args, "/");
        assert_eq!((path, stdin), (None, true));
        assert_eq!(
            String::from_utf8(opts).unwrap(),
            "port \"7000\" \nsave \"\"\nrequirepass \"a b\" \nmaxmemory 1gb "
        );
        let args: Vec<String> = ["x.conf", "--save"].iter().map(|s| s.to_string()).collect();
        let (path, _, opts) = command_line(&args, "/etc/redis");
        assert_eq!(path.unwrap(), PathBuf::from("/etc/redis/x.conf"));
        assert_eq!(opts, b"save \"\"");
    }

    #[test]
    fn absolute_paths() {
        assert_eq!(absolute_path("../a.conf", "/x/y"), PathBuf::from("/x/a.conf"));
        assert_eq!(absolute_path("../../../a.conf", "/x"), PathBuf::from("/a.conf"));
        assert_eq!(absolute_path(" /a.conf ", "/x"), PathBuf::from("/a.conf"));
    }

    #[test]
    fn errors_name_line_and_reason() {
        assert_eq!(
            line_err("# c\n\nprotected-mode maybe\n"),
            (3, "protected-mode maybe".into(), "argument must be 'yes' or 'no'".into())
        );
        assert_eq!(line_err("\tport\t99999\r\n").1, "port\t99999");
        assert_eq!(line_err("foobar 1\n").2, "Bad directive or wrong number of arguments");
        assert_eq!(line_err("port 1 2\n").2, "wrong number of arguments");
        assert_eq!(line_err("requirepass \"abc\n").2, "Unbalanced quotes in configuration line");
        assert_eq!(line_err("list-max-ziplist-entries 5 6\n").0, 1);
        assert!(line_err("appendonly yes\n").2.contains("not supported by Rhea yet"));
    }

    #[test]
    fn rename_command_is_checked_line_by_line() {
        let cfg =
            load_text("rename-command GET \"\"\nrename-command SET get\nrename-command get x\n");
        assert_eq!(cfg.unwrap().renamed_commands.len(), 3);
        assert_eq!(line_err("rename-command get a\nrename-command get b\n").0, 2);
        // Redis 7.0.15 finds the subcommand, fails to delete it from the top-level dict
        // and dies on an assertion; Rhea refuses the line instead.
        assert_eq!(
            line_err("rename-command config|get x\n").2,
            "No such command in rename-command"
        );
        // Sentinel mode checks against Sentinel's own table, which has no GET.
        let sentinel = load_sentinel_mode(&["-".into()], &mut &b"rename-command GET x\n"[..]);
        assert!(sentinel.is_err());
    }

    #[test]
    fn options_follow_the_file() {
        match load(&["--port", "99999"]).unwrap_err() {
            ConfigError::Line { line, text, .. } => {
                assert_eq!((line, text.as_str()), (2, "port \"99999\""))
            }
            e => panic!("{e:?}"),
        }
    }

    #[test]
    fn save_lines_accumulate_until_an_include_ends() {
        let dir = tempfile::tempdir().unwrap();
        let inc = dir.path().join("inc.conf");
        std::fs::write(&inc, "port 1\n").unwrap();
        let cfg = load_text("save 60 1\nsave 30 2\n").unwrap();
        assert_eq!(cfg.save_points, vec![(60, 1), (30, 2)]);
        let text = format!("save 60 1\ninclude {}\nsave 30 2\nsave 10 3\n", inc.display());
        assert_eq!(load_text(&text).unwrap().save_points, vec![(10, 3)]);
        assert_eq!(load_text("save \"60 1\"\n").unwrap().save_points, vec![(60, 1)]);
        assert!(load_text("save \"\"\n").unwrap().save_points.is_empty());
        assert!(load_text("save 60 1\nsave \"\"\n").unwrap().save_points.is_empty());
        assert_eq!(load_text("save \"\"\nsave 60 1\n").unwrap().save_points, vec![(60, 1)]);
    }

    #[test]
    fn include_errors() {
        let e = load_text("include /nonexistent/file.conf\n").unwrap_err();
        assert_eq!(
            e.fatal_report(),
            "Fatal error, can't open config file '/nonexistent/file.conf': No such file or directory\n"
        );
    }

    #[test]
    fn user_lines_are_kept_and_checked() {
        let cfg =
            load_text("user default on nopass ~* &* +@all\nuser bob on >pw ~* +nosuch\n").unwrap();
        assert_eq!(cfg.user_lines.len(), 2);
        // Unknown commands are only found when the users are created.
        assert_eq!(cfg.user_lines[1][0], b"bob");
        let (line, _, why) = line_err("user bob on\nuser bob off\n");
        assert_eq!(line, 2);
        assert!(why.contains("Duplicate user found"), "{why}");
        // The third rule is bad; Redis names argv[1] (the user name) for it.
        let (_, _, why) = line_err("user bob on foo\n");
        assert_eq!(why, "Error in user declaration 'bob': Syntax error");
    }

    #[test]
    fn seed_like_config() {
        let cfg = load_text(
            "bind 192.168.0.2\nrequirepass somepassword\nmasterauth somepassword\nprotected-mode yes\n\
             port 6379\ntcp-keepalive 0\nmaxmemory 5gb\nmaxmemory-policy volatile-lru\nslaveof 192.168.0.2 6379\n",
        )
        .unwrap();
        assert_eq!(cfg.bind, vec!["192.168.0.2".to_string()]);
        assert_eq!(cfg.maxmemory, 5 << 30);
        assert_eq!(cfg.replicaof, Some(("192.168.0.2".into(), 6379)));
        assert!(cfg.tcp_keepalive.is_zero());
    }
}
