//! Templated runbooks, end to end: only documents that opted in are rendered,
//! values are quoted for the block they land in, variables come in order of
//! precedence, errors point into the source, and a templated run records
//! what it was rendered from.

use crate::common::{OUT, Output, RUN, RUNBOOK, Sandbox, Test, line_with, require_tool, unindent};

/// A template with front-matter defaults `vars` (YAML lines) and `body`.
fn template(vars: &str, body: &str) -> String {
    let vars: String = unindent(vars)
        .lines()
        .map(|l| format!("    {l}\n"))
        .collect();
    format!("---\nrunsheet:\n  vars:\n{vars}---\n{}", unindent(body))
}

const LOOKALIKES: &str = "# Values {{ .Values.image }}\n\
\n\
Token: ${{ secrets.TOKEN }} and {% raw %} and {#} and {{ unclosed\n\
\n\
- [ ] Inspect\n\
  ```bash\n\
  echo '{{.State.Status}} ${{ secrets.TOKEN }} {% raw %}'\n\
  ```\n";

#[test]
fn a_document_that_did_not_opt_in_is_never_rendered() {
    let t = Test::new()
        .runbook(LOOKALIKES)
        .args(["render", RUNBOOK])
        .run();
    assert_eq!(t.stdout_bytes, LOOKALIKES.as_bytes(), "render changed it");
    let t = t
        .then()
        .args(["plan", RUNBOOK])
        .stdout_contains("echo '{{.State.Status}} ${{ secrets.TOKEN }} {% raw %}'")
        .run();
    let t = t.then().run_yes().status(3).run();
    let transcript = t.read(OUT);
    assert!(
        transcript.contains("# Values {{ .Values.image }}"),
        "{transcript}"
    );
    assert!(
        t.outputs()
            .iter()
            .any(|o| o.contains("{{.State.Status}} ${{ secrets.TOKEN }} {% raw %}")),
        "the block ran with its text as written: {transcript}"
    );
    let t = t.then().args(["strip", OUT]).run();
    assert_eq!(
        t.stdout_bytes,
        LOOKALIKES.as_bytes(),
        "strip is not the runbook"
    );
}

#[test]
fn a_value_is_one_word_in_a_shell_block_and_never_a_command() {
    let out = Test::new();
    let pwned = out.sandbox().path("pwned");
    let pwned = pwned.display();
    let body = template(
        "name: world",
        r#"
        ```bash
        printf '[%s]\n' {{ name }}
        printf '<%s>\n' "hello {{ name }}"
        cat <<EOF
        here {{ name }}
        EOF
        ```
        "#,
    );
    for value in [
        format!("x; touch {pwned}"),
        format!("$(touch {pwned})"),
        format!("`touch {pwned}`"),
        format!("a'b\"; touch {pwned} #"),
    ] {
        let t = Test::new()
            .runbook(&body)
            .args(["run", "--yes", RUNBOOK, "-o", OUT, "--var"])
            .arg(format!("name={value}"))
            .run();
        assert!(!t.exists("pwned"), "a value ran as a command: {value}");
        let outputs = t.outputs().join("\n");
        assert!(
            outputs.contains(&format!("[{value}]")),
            "not one word: {outputs}"
        );
        assert!(outputs.contains(&format!("<hello {value}>")), "{outputs}");
        assert!(outputs.contains(&format!("here {value}")), "{outputs}");
    }
    assert!(!std::path::Path::new(&pwned.to_string()).exists());
}

/// A block in a list item carries the item's indentation in the file; the
/// end of a here-document is seen where the shell sees it, so a value after
/// it is one word again, however deep the block is.
#[test]
fn a_value_after_a_here_document_in_a_list_item_is_one_word() {
    let out = Test::new();
    let pwned = out.sandbox().path("pwned");
    let value = format!("1.4.2; touch {}", pwned.display());
    let block =
        "```bash\ncat > notes.txt <<EOF\nnotes {{ v }}\nEOF\nprintf '[%s]\\n' {{ v }}\n```\n";
    let indent = |by: &str| -> String { block.lines().map(|l| format!("{by}{l}\n")).collect() };
    for body in [
        block.to_string(),
        format!("- [ ] Deploy\n{}", indent("  ")),
        format!("1. Deploy\n   - [ ] Notes\n{}", indent("     ")),
    ] {
        let text = format!("---\nrunsheet:\n  vars:\n    v: x\n---\n# Deploy\n\n{body}");
        let t = Test::new()
            .runbook(&text)
            .args(["run", "--yes", RUNBOOK, "-o", OUT, "--var"])
            .arg(format!("v={value}"))
            .run();
        assert!(!t.exists("pwned"), "a value ran as a command in:\n{body}");
        let outputs = t.outputs().join("\n");
        assert!(
            outputs.contains(&format!("[{value}]")),
            "not one word in:\n{body}\n{outputs}"
        );
        assert_eq!(t.read("notes.txt"), format!("notes {value}\n"), "{body}");
    }
}

#[test]
#[ignore = "needs python3; CI runs it with --ignored"]
fn a_value_is_a_string_literal_in_a_python_block() {
    require_tool("python3");
    let t = Test::new()
        .runbook(template(
            "name: x",
            r#"
            ```python
            import sys
            print("[" + {{ name }} + "]")
            ```
            "#,
        ))
        .args(["run", "--yes", RUNBOOK, "-o", OUT, "--var"])
        .arg("name=a\"); import os; os.system(\"touch pwned\") #")
        .run();
    assert!(!t.exists("pwned"));
    assert!(
        t.outputs()
            .join("")
            .contains("[a\"); import os; os.system(\"touch pwned\") #]"),
        "{}",
        t.read(OUT)
    );
}

#[test]
fn a_value_is_a_literal_in_an_sql_block() {
    Test::new()
        .runbook(template(
            "who: x",
            "
            ```sql {runner=cat}
            select * from users where name = {{ who }};
            ```
            ",
        ))
        .args(["render", RUNBOOK, "--var", "who=O'Brien"])
        .stdout_contains("where name = 'O''Brien';")
        .run();
}

#[test]
fn raw_opts_out_visibly_and_plan_lists_it() {
    let t = Test::new()
        .runbook(template(
            "flags: --all --force",
            "
            ```bash
            echo {{ flags | raw }}
            ```
            ",
        ))
        .args(["render", RUNBOOK])
        .stdout_contains("echo --all --force")
        .run();
    t.then()
        .args(["plan", RUNBOOK])
        .stdout_contains("`|raw`: this value goes into a `bash` block as it is, unquoted")
        .stdout_contains("runbook.md:7:9")
        .run();
}

/// The `--> runbook.md:L:C` lines of `plan`'s `|raw` warnings, in order.
fn raw_warnings(plan: &str) -> Vec<String> {
    let lines: Vec<&str> = plan.lines().collect();
    lines
        .windows(2)
        .filter(|w| w[0].starts_with("warning: `|raw`"))
        .map(|w| w[1].trim().to_string())
        .collect()
}

#[test]
fn a_raw_warning_points_at_its_value_when_a_captured_one_is_written_after_it() {
    // `target`'s value is written first, into the capture; `flags` second,
    // but it is the first value in the text.
    let t = Test::new()
        .runbook(template(
            "
            dir: my files
            flags: --all --force
            ",
            "
            {% set target %}{{ dir }}{% endset %}
            ```bash
            ls {{ flags | raw }}
            ```

            ```bash
            rm -r {{ target }}
            ```
            ",
        ))
        .args(["render", RUNBOOK])
        .stdout_contains("ls --all --force\n")
        .stdout_contains("rm -r 'my files'\n")
        .run();
    let t = t.then().args(["plan", RUNBOOK]).run();
    assert_eq!(
        raw_warnings(&t.stdout),
        ["--> runbook.md:9:7"],
        "{}",
        t.stdout
    );
    assert!(t.stdout.contains("ls {{ flags | raw }}"), "{}", t.stdout);
}

#[test]
fn a_captured_value_is_quoted_and_warned_about_where_each_copy_lands() {
    let t = Test::new()
        .runbook(template(
            "
            dir: my files
            flags: --all --force
            unused: $(reboot)
            ",
            "
            {% set cmd %}{{ flags | raw }}{% endset %}
            {% set never %}{{ unused | raw }}{% endset %}
            {% set target %}{{ dir }}{% endset %}
            ```bash
            ls {{ cmd }} {{ target }}
            ```

            Again {{ target }}, {{ flags | raw }}

            ```bash
            ls {{ target }} {{ cmd }} {{ dir }}
            ```
            ",
        ))
        .args(["render", RUNBOOK])
        .stdout_contains("ls --all --force 'my files'\n")
        .stdout_contains("Again my files, --all --force\n")
        .stdout_contains("ls 'my files' --all --force 'my files'\n")
        .run();
    assert!(!t.stdout.contains("reboot"), "{}", t.stdout);
    let t = t.then().args(["plan", RUNBOOK]).run();
    assert_eq!(
        raw_warnings(&t.stdout),
        [
            "--> runbook.md:12:7",
            "--> runbook.md:15:24",
            "--> runbook.md:18:20",
        ],
        "{}",
        t.stdout
    );
}

#[test]
fn raw_warnings_follow_values_through_loops_filters_and_macros() {
    let t = Test::new()
        .runbook(template(
            "
            dir: my files
            flags: --all --force
            ",
            "
            {% macro ls(p) %}ls {{ p }} {{ flags | raw }}{% endmacro %}
            {% set t %}{{ dir }}{% endset %}
            ```bash
            {% for i in [1, 2] %}
            echo {{ t }} {{ i | raw }}
            {% endfor %}
            {% filter upper %}echo {{ dir }}{% endfilter %}

            {{ ls(dir) }}
            ```
            ",
        ))
        .args(["render", RUNBOOK])
        .stdout_contains(
            "echo 'my files' 1\necho 'my files' 2\nECHO 'my files'\n\nls 'my files' --all --force\n",
        )
        .run();
    let t = t.then().args(["plan", RUNBOOK]).run();
    // A value written inside a macro is pointed at where the macro's
    // output went into the runbook.
    assert_eq!(
        raw_warnings(&t.stdout),
        [
            "--> runbook.md:11:17",
            "--> runbook.md:11:17",
            "--> runbook.md:15:4",
        ],
        "{}",
        t.stdout
    );
}

#[test]
fn variables_come_in_order_of_precedence() {
    let body = template(
        "
        a: default
        b: default
        c: default
        d: default
        ",
        "Values: {{ a }} {{ b }} {{ c }} {{ d }}\n",
    );
    Test::new()
        .runbook(body)
        .file("envs/prod.toml", "b = \"env\"\nc = \"env\"\nd = \"env\"\n")
        .file("more.yaml", "c: file\nd: file\n")
        .args([
            "render",
            RUNBOOK,
            "--env",
            "prod",
            "--var-file",
            "more.yaml",
            "--var",
            "d=cli",
        ])
        .stdout_contains("Values: default env file cli")
        .run();
}

#[test]
fn an_environment_is_found_beside_the_runbook_or_in_runbooks_envs() {
    let body = template("where: nowhere", "From {{ where }} for {{ environment }}\n");
    Test::new()
        .runbook(&body)
        .file("runbooks/envs/qa.yaml", "where: shared\n")
        .args(["render", RUNBOOK, "--env", "qa"])
        .stdout_contains("From shared for qa")
        .run()
        .then()
        .file("envs/qa.toml", "where = \"beside\"\n")
        .args(["render", RUNBOOK, "--env", "qa"])
        .stdout_contains("From beside for qa")
        .run();
}

#[test]
fn two_files_for_one_environment_are_an_error_naming_both() {
    let said = "environment `prod` has two files, envs/prod.toml and envs/prod.yaml, and \
                runsheet will not guess which one is meant: remove or rename one of them";
    let t = Test::new()
        .runbook(template("x: 1", "x is {{ x }}\n"))
        .file("envs/prod.toml", "x = 2\n")
        .file("envs/prod.yaml", "x: 3\n")
        .file("envs/staging.yml", "x: 4\n")
        .args(["render", RUNBOOK, "--env", "prod"])
        .status(2)
        .stderr_contains(said)
        .run();
    assert!(t.stdout.is_empty(), "{}", t.stdout);
    let t = t
        .then()
        .args(["run", "--yes", RUNBOOK, "--env", "prod"])
        .status(2)
        .stderr_contains(said)
        .run();
    // `envs` lists both files, the others as usual, and fails.
    let t = t
        .then()
        .args(["envs", RUNBOOK])
        .status(2)
        .stdout_contains("prod  (envs/prod.toml, envs/prod.yaml: refused, more than one file)\n")
        .stdout_contains("staging  (envs/staging.yml)\n  x = 4\n")
        .stderr_contains(said)
        .run();
    // The other environment renders.
    t.then()
        .args(["render", RUNBOOK, "--env", "staging"])
        .stdout_contains("x is 4")
        .run();
}

#[test]
fn an_unknown_environment_lists_the_known_ones() {
    Test::new()
        .runbook(template("x: 1", "{{ x }}\n"))
        .file("envs/prod.toml", "x = 2\n")
        .file("envs/staging.yaml", "x: 3\n")
        .args(["run", "--yes", RUNBOOK, "--env", "prdo"])
        .status(2)
        .stderr_contains(
            "unknown environment `prdo`: the known ones are prod, staging; did you mean `prod`?",
        )
        .run();
}

#[test]
fn undefined_variables_are_errors_at_their_line_and_column() {
    let t = Test::new()
        .runbook(template(
            "replica_count: 2",
            "
            # Scale

            ```bash
            kubectl scale deploy/web --replicas={{ replicas }}
            ```
            ",
        ))
        .file("envs/prod.toml", "replica_count = 3\n")
        .args(["run", "--yes", RUNBOOK, "--env", "prod", "-o", OUT])
        .status(2)
        .stderr_contains("error: undefined variable `replicas`")
        .stderr_contains("--> runbook.md:9:40")
        .stderr_contains("kubectl scale deploy/web --replicas={{ replicas }}")
        .stderr_contains(
            "did you mean `replica_count`? set it in envs/prod.toml or with --var replicas=...",
        )
        .run();
    assert!(!t.exists(OUT), "nothing runs after a template error");
    let caret = t
        .stderr
        .lines()
        .find(|l| l.trim_end().ends_with('^'))
        .unwrap_or("");
    assert_eq!(caret.find('^'), Some(4 + 39), "{}", t.stderr);
}

/// An environment that lacks several variables gets them all named in one
/// go, each where the render first needs it, not one per try; a name given
/// once is not named again, and a part a missing value leaves out (a loop
/// over it) is not looked into.
#[test]
fn every_variable_an_environment_lacks_is_named_at_once() {
    let t = Test::new()
        .runbook(template(
            "service: web",
            "
            # Deploy {{ service }}

            {% for h in hosts %}
            - [ ] Deploy to {{ h.name }} in {{ region }}
            {% endfor %}

            {% if cfg.canary %}
            Canary first, {{ canary_percent }} %.
            {% endif %}

            ```bash
            kubectl scale --replicas={{ replicas }} deploy/{{ servce }}
            echo {{ replicas }} {{ cluster.api }}
            ssh {{ (hosts | first).name }} -p {{ ssh_port }}
            ```
            ",
        ))
        .file("envs/prod.toml", "replicas = 3\n")
        .args(["render", RUNBOOK, "--env", "prod"])
        .status(2)
        .stderr_contains("error: undefined variable `hosts`\n --> runbook.md:8:13\n")
        // The body of a loop over a missing list is looked into, once.
        .stderr_contains("error: undefined variable `region`\n --> runbook.md:9:")
        .stderr_contains("error: undefined variable `cfg`\n  --> runbook.md:12:7\n")
        .stderr_contains("error: undefined variable `servce`\n  --> runbook.md:17:51\n")
        .stderr_contains(
            "did you mean `service`? set it in envs/prod.toml or with --var servce=...",
        )
        .stderr_contains("error: undefined variable `cluster`\n  --> runbook.md:18:24\n")
        // A filter on a missing value does not end the search.
        .stderr_contains("error: undefined variable `ssh_port`\n  --> runbook.md:19:")
        .stderr_lacks("`canary_percent`")
        .stderr_lacks("`replicas`")
        .run();
    let errors: Vec<&str> = t
        .stderr
        .lines()
        .filter(|l| l.starts_with("error:"))
        .collect();
    assert_eq!(errors.len(), 6, "{}", t.stderr);
    // In the order the render needs them.
    let at = |name: &str| t.stderr.find(&format!("`{name}`\n")).unwrap_or(usize::MAX);
    let order = ["hosts", "region", "cfg", "servce", "cluster", "ssh_port"];
    assert!(
        order.windows(2).all(|w| at(w[0]) < at(w[1])),
        "{}",
        t.stderr
    );
    // With them set, what the `if` on a missing value left out is named.
    t.then()
        .file(
            "envs/prod.toml",
            "replicas = 3\nservce = \"web\"\nhosts = [{name = \"web-1\"}]\nregion = \"eu\"\n\
             cfg = {canary = true}\ncluster = {api = \"https://k\"}\nssh_port = 22\n",
        )
        .args(["render", RUNBOOK, "--env", "prod"])
        .status(2)
        .stderr_contains("error: undefined variable `canary_percent`\n  --> runbook.md:13:")
        .stderr_lacks("`hosts`")
        .run();
}

/// An undefined value in arithmetic or a comparison is named as undefined,
/// not reported as an operation on unsupported types.
#[test]
fn an_undefined_value_in_arithmetic_is_named_itself() {
    Test::new()
        .runbook(template(
            "replica_count: 2",
            "
            ```bash
            kubectl scale deploy/api --replicas={{ replicas + 1 }}
            echo {{ replica_count * batches }}
            ```
            ",
        ))
        .args(["render", RUNBOOK])
        .status(2)
        .stderr_contains("error: undefined variable `replicas`\n --> runbook.md:7:40")
        .stderr_contains("did you mean `replica_count`?")
        .stderr_contains("error: undefined variable `batches`\n --> runbook.md:8:")
        .stderr_lacks("unsupported types")
        .run();
}

/// An undefined value that goes through a filter is named, not the filter:
/// minijinja points at the filter.
#[test]
fn an_undefined_value_through_a_filter_is_named_itself() {
    let t = Test::new()
        .runbook(template(
            "replica_count: 2",
            "
            # Scale

            {% if replicas | int > 2 %}
            Many.
            {% endif %}
            ",
        ))
        .args(["render", RUNBOOK])
        .status(2)
        .stderr_contains("error: undefined variable `replicas`")
        .stderr_contains("--> runbook.md:8:7")
        .stderr_contains("with --var replicas=...")
        .stderr_lacks("int=")
        .run();
    t.then()
        .runbook(template(
            "replica_count: 2",
            "
            ```bash
            echo {{ env.DEPLOY_TOKEN_UNSET | upper }}
            ```
            ",
        ))
        .args(["render", RUNBOOK])
        .status(2)
        .stderr_contains("error: the environment variable `DEPLOY_TOKEN_UNSET` is not set")
        .stderr_contains("--> runbook.md:7:9")
        .stderr_lacks("upper=")
        .run();
}

#[test]
fn bad_templates_and_variable_files_are_errors_with_a_line() {
    // What, runbook, other files, arguments, what stderr must say.
    type Case<'a> = (
        &'a str,
        String,
        Vec<(&'a str, &'a str)>,
        Vec<&'a str>,
        &'a str,
    );
    let cases: Vec<Case> = vec![
        (
            "syntax",
            template("x: 1", "a\n{% if x %}\nb\n"),
            vec![],
            vec![],
            "runbook.md:",
        ),
        (
            "unknown filter",
            template("x: 1", "{{ x | uper }}\n"),
            vec![],
            vec![],
            "did you mean `upper`?",
        ),
        (
            "not toml",
            template("x: 1", "{{ x }}\n"),
            vec![("envs/prod.toml", "x = = 1\n")],
            vec!["--env", "prod"],
            "envs/prod.toml:1:",
        ),
        (
            "not yaml",
            template("x: 1", "{{ x }}\n"),
            vec![("v.yaml", "x: [1\n")],
            vec!["--var-file", "v.yaml"],
            "v.yaml:",
        ),
        (
            "wrong type",
            template("hosts: [a, b]", "{% for h in hosts %}{{ h }}{% endfor %}\n"),
            vec![("envs/prod.toml", "# hosts\nhosts = \"web-1\"\n")],
            vec!["--env", "prod"],
            "envs/prod.toml:2: `hosts` is a single value here, but a list in the runbook's default (runbook.md:4)",
        ),
        (
            "a list where one value goes",
            template("hosts: [a, b]", "```bash\nssh {{ hosts }}\n```\n"),
            vec![],
            vec![],
            "is a list or map, which cannot be written into a `bash` block as one value",
        ),
        (
            "var without =",
            template("x: 1", "{{ x }}\n"),
            vec![],
            vec!["--var", "x"],
            "--var `x` has no `=`: write it as --var x=VALUE",
        ),
        (
            "missing include",
            template("x: 1", "one\n{% include \"snippets/nope.md\" %}\n"),
            vec![],
            vec![],
            "runbook.md:7:",
        ),
        (
            "include outside",
            template("x: 1", "{% include \"../outside.md\" %}\n"),
            vec![],
            vec![],
            "this includes a file outside the runbook's folder",
        ),
        (
            "include cycle",
            template("x: 1", "{% include \"a.md\" %}\n"),
            vec![
                ("a.md", "A\n{% include \"b.md\" %}\n"),
                ("b.md", "B\n{% include \"a.md\" %}\n"),
            ],
            vec![],
            "an include cycle: a.md → b.md → a.md",
        ),
        (
            "language from a value",
            template("lang: bash", "```{{ lang }}\nls\n```\n"),
            vec![],
            vec![],
            "a fence's language cannot come from a value",
        ),
    ];
    for (what, runbook, files, args, expect) in cases {
        let mut t = Test::new().runbook(runbook).file("../outside.md", "x\n");
        for (path, text) in files {
            t = t.file(path, text);
        }
        let out = t
            .args(["run", "--yes", RUNBOOK, "-o", OUT])
            .args(args)
            .status(2)
            .run();
        assert!(out.stderr.contains(expect), "{what}: {}", out.stderr);
        assert!(!out.exists(OUT), "{what}: something ran");
    }
}

#[test]
fn rendering_never_runs_anything() {
    let t = Test::new()
        .runbook(template(
            "x: 1",
            "
            ```bash
            touch ran-{{ x }}
            ```
            ",
        ))
        .args(["render", RUNBOOK])
        .run();
    let t = t.then().args(["plan", RUNBOOK]).run();
    assert!(!t.exists("ran-1"));
}

#[test]
fn loops_make_one_step_per_host_with_a_stable_id() {
    let body = template(
        "hosts: [web-1, web-2]",
        "
        {% for host in hosts %}
        - [ ] Restart {{ host }}
          ```bash {name=restart-{{ host }}}
          echo restarting {{ host }}
          ```
        {% endfor %}
        ",
    );
    let t = Test::new()
        .runbook(&body)
        .args([
            "run",
            "--yes",
            RUNBOOK,
            "-o",
            OUT,
            "--var",
            "hosts=[\"web-2\", \"web-3\"]",
        ])
        .run();
    let transcript = t.read(OUT);
    assert!(transcript.contains("id=restart-web-2"), "{transcript}");
    assert!(transcript.contains("id=restart-web-3"), "{transcript}");
    assert!(!transcript.contains("restart-web-1"), "{transcript}");
    t.then()
        .args(["plan", "--format", "json", RUNBOOK])
        .stdout_contains("\"id\": \"restart-web-1\"")
        .run();
}

/// A line a loop made a step of on each pass names none of them: `--from`
/// it is an error that lists each step it made with its id, and nothing
/// runs; the id names one.
#[test]
fn from_a_line_a_loop_made_several_steps_of_asks_which() {
    let body = template(
        "hosts: [web-1, web-2]",
        "
        {% for host in hosts %}
        - [ ] Restart {{ host }}
          ```bash {name=restart-{{ host }}}
          echo restarting {{ host }} >> restarted
          ```
        {% endfor %}
        ",
    );
    assert_eq!(
        line_with(&body, "- [ ] Restart"),
        "- [ ] Restart {{ host }}"
    );
    let line = body
        .lines()
        .position(|l| l.starts_with("- [ ] Restart"))
        .unwrap()
        + 1;
    let t = Test::new()
        .runbook(&body)
        .args([
            "run",
            "--yes",
            RUNBOOK,
            "-o",
            OUT,
            "--from",
            &line.to_string(),
        ])
        .status(2)
        .stderr_contains(&format!("line {line} of runbook.md made 2 steps"))
        .stderr_contains(&format!("runbook.md:{line}  s1  Restart web-1"))
        .stderr_contains(&format!("runbook.md:{line}  s3  Restart web-2"))
        .run();
    assert!(!t.exists("restarted"), "a step ran");
    let t = t
        .then()
        .args([
            "run",
            "--yes",
            RUNBOOK,
            "-o",
            OUT,
            "--from",
            "restart-web-2",
        ])
        .run();
    assert_eq!(t.read("restarted"), "restarting web-2\n");
}

#[test]
fn conditions_macros_and_dates() {
    let body = template(
        "shout: false",
        r#"
        {% macro step(what) %}- [ ] {{ what }} on {{ environment }}{% endmacro %}
        # Deploy
        {% if environment == "prod" %}
        ## Change window
        {{ step("Announce") }}
        {% endif %}
        {{ step("Deploy") }}
        Date: {{ now() | date("%Y") }}
        "#,
    );
    let year = jiff::Timestamp::now().strftime("%Y").to_string();
    let t = Test::new()
        .runbook(&body)
        .file("envs/prod.toml", "")
        .file("envs/staging.toml", "")
        .args(["render", RUNBOOK, "--env", "prod"])
        .stdout_contains("## Change window\n- [ ] Announce on prod\n")
        .stdout_contains("- [ ] Deploy on prod")
        .stdout_contains(&format!("Date: {year}"))
        .run();
    let t = t.then().args(["render", RUNBOOK, "--env", "staging"]).run();
    assert!(!t.stdout.contains("Change window"), "{}", t.stdout);
    // `env` alone is the environment's name, as teams write it; `env.NAME`
    // stays the process environment.
    let by_env = template(
        "x: 1",
        r#"
        # Deploy
        {% if env == "prod" %}
        - [ ] Announce in {{ env|upper }} from {{ env.RS_TEST_USER }}
        {% endif %}
        {% if env != "prod" %}- [ ] Try it on {{ env }}{% endif %}
        "#,
    );
    let t = t
        .then()
        .runbook(&by_env)
        .env("RS_TEST_USER", "ops")
        .args(["render", RUNBOOK, "--env", "prod"])
        .stdout_contains("- [ ] Announce in PROD from ops\n")
        .run();
    assert!(!t.stdout.contains("Try it on"), "{}", t.stdout);
    let t = t
        .then()
        .args(["render", RUNBOOK, "--env", "staging"])
        .stdout_contains("- [ ] Try it on staging")
        .run();
    assert!(!t.stdout.contains("Announce"), "{}", t.stdout);
    // No environment chosen: an error at the `env` that needs one.
    t.then()
        .args(["render", RUNBOOK])
        .status(2)
        .stderr_contains("--> runbook.md:7:7\n")
        .stderr_contains("`env` alone is the name of the environment, and none was chosen")
        .stderr_contains("give --env NAME")
        .run();
}

#[test]
fn env_reads_the_process_environment_and_a_dotenv_file_on_request() {
    let body = "---\nrunsheet: {template: true, dotenv: true}\n---\nUser {{ env.DEPLOY_USER }}, region {{ env.REGION }}\n";
    Test::new()
        .runbook(body)
        .file(".env", "REGION=eu-west\nDEPLOY_USER=from-file\n")
        .env("DEPLOY_USER", "alice")
        .args(["render", RUNBOOK])
        .stdout_contains("User alice, region eu-west")
        .run()
        .then()
        // Asking for the `.env` file alone makes the document a template:
        // nothing else would read it.
        .runbook("---\nrunsheet: {dotenv: true}\n---\nregion {{ env.REGION }}\n")
        .args(["render", RUNBOOK])
        .stdout_contains("region eu-west")
        .run()
        .then()
        .runbook("---\nrunsheet: {template: true}\n---\n{{ env.NOT_SET_ANYWHERE }}\n")
        .args(["render", RUNBOOK])
        .status(2)
        .stderr_contains("the environment variable `NOT_SET_ANYWHERE` is not set")
        .run();
}

#[test]
fn secrets_are_masked_in_the_transcript_render_and_envs() {
    let body = template(
        "api_token: none-yet",
        r#"
        ```bash
        echo "calling with {{ api_token }}"
        ```
        "#,
    );
    let secret = "s3cr3t-abcdef-123";
    let t = Test::new()
        .runbook(&body)
        .file(
            "envs/prod.toml",
            format!("api_token = \"{secret}\"\nregion = \"eu\"\n"),
        )
        .args(["run", "--yes", RUNBOOK, "--env", "prod", "-o", OUT])
        .run();
    let transcript = t.read(OUT);
    assert!(!transcript.contains(secret), "{transcript}");
    assert!(transcript.contains("env=prod"), "{transcript}");
    assert!(transcript.contains(" vars=api_token=•••,"), "{transcript}");
    assert!(transcript.contains("calling with •••"), "{transcript}");
    let t = t.then().args(["render", RUNBOOK, "--env", "prod"]).run();
    assert!(!t.stdout.contains(secret));
    let t = t
        .then()
        .args(["envs", RUNBOOK])
        .stdout_contains("prod  (envs/prod.toml)")
        .stdout_contains("api_token = •••")
        .stdout_contains("region = eu")
        .run();
    assert!(!t.stdout.contains(secret));
}

#[test]
fn strip_gives_the_rendered_runbook_and_the_template_on_request() {
    let body = template("who: world", "- [ ] Greet {{ who }}\n");
    let t = Test::new()
        .runbook(&body)
        .args(["run", "--yes", RUNBOOK, "-o", OUT, "--var", "who=ops"])
        .status(3)
        .run();
    let t = t
        .then()
        .args(["strip", OUT])
        .stdout_contains("- [ ] Greet ops\n")
        .run();
    assert!(!t.stdout.contains("runsheet:"), "{}", t.stdout);
    let t = t.then().args(["strip", "--template", OUT]).run();
    assert_eq!(t.stdout, body);
    t.then()
        .file(RUNBOOK, body.replace("Greet", "Wave at"))
        .args(["strip", "--template", OUT])
        .status(2)
        .stderr_contains("is not the template this run was rendered from")
        .run();
}

#[test]
fn resume_renders_again_and_refuses_a_changed_environment_file() {
    let body = template(
        "greeting: hi",
        "
        - [ ] First
          ```bash
          echo {{ greeting }} > first.txt; false
          ```
        - [ ] Second
          ```bash
          touch second.txt
          ```
        ",
    );
    let t = Test::new()
        .runbook(&body)
        .file("envs/prod.toml", "greeting = \"hello\"\n")
        .args(["run", "--yes", RUNBOOK, "--env", "prod", "-o", OUT])
        .status(1)
        .run();
    assert_eq!(t.read("first.txt"), "hello\n");
    let t = t
        .then()
        .file("envs/prod.toml", "greeting = \"bye\"\n")
        .args(["resume", "--yes", OUT])
        .status(2)
        .stderr_contains("the environment file envs/prod.toml changed since this run began")
        .run();
    assert!(!t.exists("second.txt"), "resume ran a step");
    let t = t
        .then()
        .file("envs/prod.toml", "greeting = \"hello\"\n")
        .file(RUNBOOK, body.replace("- [ ] Second", "- [ ] Later"))
        .args(["resume", "--yes", OUT])
        .status(2)
        .stderr_contains("the template runbook.md changed since this run began")
        .run();
    assert!(!t.exists("second.txt"));
    let t = t
        .then()
        .file(RUNBOOK, &body)
        .args(["resume", "--yes", OUT])
        .status(1)
        .run();
    assert!(
        !t.exists("second.txt"),
        "the first block still fails, so it stops there"
    );
}

#[test]
fn resume_asks_again_for_secrets_given_on_the_command_line() {
    let body = template(
        "db_password: unset",
        "
        - [ ] Check
          ```bash
          test -f go.txt && echo ok {{ db_password }}
          ```
        ",
    );
    let t = Test::new()
        .runbook(&body)
        .args([
            "run",
            "--yes",
            RUNBOOK,
            "-o",
            OUT,
            "--var",
            "db_password=hunter2-long",
        ])
        .status(1)
        .run();
    assert!(!t.read(OUT).contains("hunter2-long"));
    let t = t
        .then()
        .args(["resume", "--yes", OUT])
        .status(2)
        .stderr_contains("give them again (--var db_password=...)")
        .run();
    let t = t
        .then()
        .file("go.txt", "")
        .args(["resume", "--yes", OUT, "--var", "db_password=hunter2-long"])
        .run();
    let transcript = t.read(OUT);
    assert!(transcript.contains("ok •••"), "{transcript}");
    assert!(!transcript.contains("hunter2-long"), "{transcript}");
}

#[test]
fn the_example_renders_and_runs_for_each_environment_with_nothing_remote() {
    let runbook = concat!(env!("CARGO_MANIFEST_DIR"), "/runbooks/templated-deploy.md");
    let t = Test::new()
        .args(["envs", runbook])
        .stdout_contains("prod  (")
        .stdout_contains("staging  (")
        .run();
    let t = t
        .then()
        .args(["run", "--yes", runbook, "--env", "staging", "-o", OUT])
        .status(3)
        .run();
    let outputs = t.outputs().join("");
    assert!(outputs.contains("stg-web-2 runs web:1.4.2"), "{outputs}");
    assert!(!t.read(OUT).contains("Change window"));
    let t = t
        .then()
        .args([
            "run",
            "--yes",
            runbook,
            "--env",
            "prod",
            "-o",
            "prod.out.md",
        ])
        .status(3)
        .run();
    let transcript = t.read("prod.out.md");
    assert!(transcript.contains("id=deploy-web-3"), "{transcript}");
    assert!(transcript.contains("Change window"), "{transcript}");
}

#[test]
fn an_operator_at_the_terminal_sees_the_rendered_block_with_secrets_masked() {
    let sandbox = Sandbox::new();
    sandbox.write(
        RUNBOOK,
        template(
            "host: web-1",
            "
            ```bash
            echo deploying to {{ host }} with {{ api_token }}
            ```
            ",
        ),
    );
    sandbox.write(
        "envs/prod.toml",
        "api_token = \"tok-0123456789\"\nhost = \"web-9\"\n",
    );
    let mut pty = sandbox.pty(&["run", RUNBOOK, "--env", "prod", "-o", OUT], &[]);
    pty.expect("echo deploying to web-9 with");
    pty.answer(RUN, "r");
    let (code, screen) = pty.wait();
    assert_eq!(code, 0, "{screen}");
    assert!(!screen.contains("tok-0123456789"), "{screen}");
    assert!(screen.contains("deploying to web-9 with •••"), "{screen}");
    assert!(!sandbox.transcript().contains("tok-0123456789"));
}

/// Asserts that none of `secrets` is in what run `t` printed, its transcript
/// or the reports it wrote (`r.json`, `j.xml`).
fn assert_run_hides(secrets: &[&str], t: &Output) {
    let mut texts = vec![
        ("live output", format!("{}{}", t.stdout, t.stderr)),
        ("the transcript", t.read(OUT)),
    ];
    for (what, file) in [("the JSON report", "r.json"), ("the JUnit report", "j.xml")] {
        if t.exists(file) {
            texts.push((what, t.read(file)));
        }
    }
    let texts: Vec<(&str, &str)> = texts.iter().map(|(w, x)| (*w, x.as_str())).collect();
    assert_hidden(secrets, &texts);
}

/// Asserts that none of `secrets` is in any of `texts` (named for the message).
fn assert_hidden(secrets: &[&str], texts: &[(&str, &str)]) {
    for (what, text) in texts {
        for secret in secrets {
            assert!(!text.contains(secret), "{what} shows {secret}:\n{text}");
        }
    }
}

#[test]
fn secrets_from_the_environment_and_a_dotenv_file_are_masked_everywhere() {
    let body = "---\nrunsheet: {dotenv: true, template: true}\n---\n# Deploy\n\n\
                - [ ] Connect with {{ env.DB_PASSWORD }} and {{ env.MY_TOKEN }}\n  \
                ```bash\n  echo {{ env.DB_PASSWORD }} {{ env.API_KEY }} {{ env.MY_TOKEN }} {{ env.GH }} {{ env.PLAIN }}\n  ```\n";
    let secrets = [
        "dotenvpass777",
        "dotenvapikey888",
        "hometoken123456",
        "ghp_abcdefghijklmnopqrstuvwxyz0123456789",
    ];
    let env = [
        ("MY_TOKEN", "hometoken123456"),
        ("GH", "ghp_abcdefghijklmnopqrstuvwxyz0123456789"),
        ("PLAIN", "plainvalue42"),
    ];
    let with_env = |mut t: Test| {
        for (k, v) in env {
            t = t.env(k, v);
        }
        t
    };
    let t = with_env(
        Test::new()
            .runbook(body)
            .file(
                ".env",
                "DB_PASSWORD=dotenvpass777\nAPI_KEY=dotenvapikey888\n",
            )
            .args(["render", RUNBOOK]),
    )
    .run();
    assert_hidden(&secrets, &[("render", &t.stdout)]);
    assert!(t.stdout.contains("plainvalue42"), "{}", t.stdout);
    let t = with_env(t.then().args(["plan", RUNBOOK])).run();
    assert_hidden(&secrets, &[("plan", &t.stdout)]);
    let t = with_env(
        t.then()
            .run_yes()
            .args(["--report", "r.json", "--junit", "j.xml"]),
    )
    .run();
    let transcript = t.read(OUT);
    assert!(transcript.contains("plainvalue42"), "{transcript}");
    assert_run_hides(&secrets, &t);
    let t = t.then().args(["strip", OUT]).run();
    assert_hidden(&secrets, &[("strip", &t.stdout)]);
    // --show-secrets writes them.
    with_env(
        t.then()
            .args(["render", RUNBOOK, "--show-secrets"])
            .stdout_contains("dotenvpass777")
            .stdout_contains("hometoken123456"),
    )
    .run();
}

#[test]
fn a_secret_field_inside_a_map_is_masked_at_any_depth() {
    let body = "---\nrunsheet: {template: true}\n---\n# Deploy\n\n\
                ```bash\necho {{ db.host }} {{ db.password }} {{ app.keys[1] }} {{ app.deep.api_token }} {{ app.name }}\n```\n";
    let env = "[db]\nhost = \"db-prod\"\npassword = \"NestedProdPw123\"\n\
               [app]\nname = \"app1\"\nkeys = [\"firstkey-aaaa\", \"secondkey-bbbb\"]\n\
               [app.deep]\napi_token = \"DeepTokenValue99\"\n";
    let secrets = [
        "NestedProdPw123",
        "firstkey-aaaa",
        "secondkey-bbbb",
        "DeepTokenValue99",
    ];
    let t = Test::new()
        .runbook(body)
        .file("envs/prod.toml", env)
        .args(["envs", RUNBOOK])
        .stdout_contains("db-prod")
        .run();
    assert_hidden(&secrets, &[("envs", &t.stdout)]);
    let t = t
        .then()
        .args(["render", RUNBOOK, "--env", "prod"])
        .stdout_contains("echo db-prod")
        .run();
    assert_hidden(&secrets, &[("render", &t.stdout)]);
    let t = t
        .then()
        .run_yes()
        .args(["--env", "prod", "--report", "r.json", "--junit", "j.xml"])
        .run();
    let transcript = t.read(OUT);
    assert!(transcript.contains("db-prod"), "{transcript}");
    assert_run_hides(&secrets, &t);
}

#[test]
fn plan_takes_secret_names_from_the_command_line() {
    let body = template(
        "dsn: postgres-main-replica",
        "
        ```bash
        psql {{ dsn }}
        ```
        ",
    );
    let t = Test::new()
        .runbook(&body)
        .args(["plan", RUNBOOK])
        .stdout_contains("postgres-main-replica")
        .run();
    let t = t.then().args(["plan", RUNBOOK, "--secret", "dsn"]).run();
    assert!(!t.stdout.contains("postgres-main-replica"), "{}", t.stdout);
    assert!(t.stdout.contains("psql '•••'"), "{}", t.stdout);
}

#[test]
fn a_template_that_mentions_a_run_marker_is_still_a_template() {
    let body = template(
        "host: web1",
        r#"
        A transcript begins with an `<!--rs:run ...-->` marker.

        ```bash
        echo "host={{ host }}"; grep -c "<!--rs:run" *.run.md || true
        ```
        "#,
    );
    let t = Test::new()
        .runbook(&body)
        .run_yes()
        .stdout_contains("host=web1")
        .run();
    assert!(!t.read(OUT).contains("{{ host }}"), "{}", t.read(OUT));
    let t = t
        .then()
        .args([
            "run",
            "--yes",
            RUNBOOK,
            "-o",
            "second.md",
            "--var",
            "host=web2",
        ])
        .stdout_contains("host=web2")
        .run();
    let t = t
        .then()
        .args(["plan", "--template", RUNBOOK])
        .stdout_contains("echo \"host=web1\"")
        .run();
    // A real transcript is still one.
    t.then()
        .args(["plan", "--var", "host=web3", OUT])
        .status(1)
        .stderr_contains("is a transcript")
        .run();
}

#[test]
fn resume_refuses_a_secret_other_than_the_runs() {
    let body = template(
        "db_password: unset",
        "
        ```bash
        echo first
        ```

        ```bash
        test -f go.txt && echo \"pw={{ db_password }}\" > used.txt
        ```
        ",
    );
    let t = Test::new()
        .runbook(&body)
        .run_yes()
        .args(["--var", "db_password=CliSecret777"])
        .status(1)
        .run();
    let transcript = t.read(OUT);
    assert!(!transcript.contains("CliSecret777"), "{transcript}");
    let t = t
        .then()
        .file("go.txt", "")
        .args(["resume", "--yes", OUT, "--var", "db_password=WrongSecret"])
        .status(2)
        .stderr_contains("the secret `db_password` is not the one this run was rendered with")
        .stderr_contains("--var db_password=...")
        .run();
    assert!(
        !t.exists("used.txt"),
        "resume ran the step with another secret"
    );
    let t = t
        .then()
        .args(["resume", "--yes", OUT, "--var", "db_password=CliSecret777"])
        .run();
    assert_eq!(t.read("used.txt"), "pw=CliSecret777\n");
}

/// A `$ ` line in a script's here-document leaves the script whole: a value
/// in a string that spans lines after it is quoted for that string.
#[test]
fn a_prompt_line_in_a_here_document_does_not_change_how_values_are_quoted() {
    let out = Test::new();
    let pwned = out.sandbox().path("pwned");
    let value = format!("x'; touch {} #", pwned.display());
    let body = template(
        "v: world",
        r#"
        ```bash
        cat > notes.txt <<'EOF'
        $ echo example
        EOF
        printf '<%s>\n' 'first
        second {{ v }}'
        ```
        "#,
    );
    let t = Test::new()
        .runbook(&body)
        .args(["run", "--yes", RUNBOOK, "-o", OUT, "--var"])
        .arg(format!("v={value}"))
        .run();
    assert!(!t.exists("pwned"), "a value ran as a command");
    let outputs = t.outputs().join("\n");
    assert!(outputs.contains(&format!("second {value}>")), "{outputs}");
}

/// An environment file may give `environment` a name to show; `env` stays
/// the name `--env` chose, so no test of it (a prod-only step) changes.
#[test]
fn env_is_the_name_env_chose_whatever_the_file_calls_it() {
    let body = template(
        "x: 1",
        "# Deploy to {{ environment }} (env={{ env }})\n\n{% if env == \"prod\" %}- [ ] Open the change window\n{% endif %}",
    );
    let t = Test::new()
        .runbook(&body)
        .file("envs/prod.toml", "environment = \"Production EU\"\n")
        .args(["render", RUNBOOK, "--env", "prod"])
        .stdout_contains("# Deploy to Production EU (env=prod)")
        .stdout_contains("- [ ] Open the change window")
        .run();
    // Without --env, `env` is the variable `environment`.
    t.then()
        .args(["render", RUNBOOK, "--var", "environment=prod"])
        .stdout_contains("(env=prod)")
        .stdout_contains("- [ ] Open the change window")
        .run();
}

/// A token-shaped value, here in a variable not named like a secret.
const GH_TOKEN: &str = "ghp_abcdefghijklmnopqrstuvwxyz0123456789";

/// A value made from a secret (a filter, a slice, text joined to it) holds
/// no copy of the secret as given, and is masked as a secret all the same,
/// in what the block prints too; a value made from other variables is not.
/// A token in a variable not named like a secret is masked too, in the
/// variables the transcript and report list as well.
#[test]
fn a_value_made_from_a_secret_is_masked_like_the_secret() {
    let body = template(
        "api_token: unset\nnote: none\ndb: {host: db-main-1, password: unset}",
        r#"
        # Deploy

        ```bash
        echo "up {{ api_token | upper }}"
        echo "auth {{ 'Bearer ' ~ api_token }}"
        echo "tail {{ api_token[3:] }}"
        echo "pw {{ db.password | lower }} at {{ db.host | upper }}"
        echo "env {{ env.DEPLOY_TOKEN | upper }}"
        echo "note {{ note }}"
        ```
        "#,
    );
    let made = [
        "ABCDEF123456",
        "Bearer abcdef123456",
        "def123456",
        "password99",
        "ENVTOKEN12345",
        GH_TOKEN,
    ];
    let t = Test::new()
        .runbook(&body)
        .env("DEPLOY_TOKEN", "envtoken12345")
        .args([
            "render",
            RUNBOOK,
            "--var",
            "api_token=abcdef123456",
            "--var",
        ])
        .arg(r#"db={"host": "db-main-1", "password": "PassWord99"}"#)
        .stdout_contains("DB-MAIN-1")
        .run();
    assert_hidden(&made, &[("render", &t.stdout)]);
    let t = t
        .then()
        .env("DEPLOY_TOKEN", "envtoken12345")
        .run_yes()
        .args([
            "--var",
            "api_token=abcdef123456",
            "--report",
            "r.json",
            "--var",
        ])
        .arg(format!("note=see {GH_TOKEN}"))
        .arg("--var")
        .arg(r#"db={"host": "db-main-1", "password": "PassWord99"}"#)
        .run();
    let transcript = t.read(OUT);
    assert!(transcript.contains("at DB-MAIN-1"), "{transcript}");
    assert_run_hides(&made, &t);
}

/// A template that checks how a secret starts (and stops when it does not)
/// still has what it makes from the secret masked, a slice of it too; one
/// that tests the secret's exact text cannot, and says so instead of
/// staying silent.
#[test]
fn a_template_that_checks_a_secret_still_masks_what_it_makes_from_it() {
    let body = |check: &str| {
        template(
            "api_token: unset\nbuild: ef123456",
            &format!(
                r#"
                # Deploy
                {{% if {check} %}}{{{{ api_token_is_not_a_deploy_token }}}}{{% endif %}}

                ```bash
                echo "up {{{{ api_token | upper }}}}"
                echo "key {{{{ api_token[:12] }}}}"
                echo "build {{{{ build }}}}"
                ```
                "#
            ),
        )
    };
    // The retry keeps `tok_abcdef`: a slice of the token is the same in
    // both renders, and is masked as a part of it.
    // A value that only happens to be in the token's second half is not
    // one of them: it is shown.
    let made = ["TOK_ABCDEF123456", "tok_abcdef12"];
    let t = Test::new()
        .runbook(body(r#"api_token[:4] != "tok_""#))
        .args(["render", RUNBOOK, "--var", "api_token=tok_abcdef123456"])
        .stdout_contains("echo \"up ")
        .stdout_contains("build ef123456")
        .stderr_lacks("not masked")
        .run();
    assert_hidden(&made, &[("render", &t.stdout)]);
    let t = t
        .then()
        .run_yes()
        .args(["--var", "api_token=tok_abcdef123456", "--report", "r.json"])
        .stderr_lacks("not masked")
        .run();
    assert_run_hides(&made, &t);

    let exact = r#"api_token != "tok_abcdef123456""#;
    for args in [&["render", RUNBOOK][..], &["run", RUNBOOK, "--yes"]] {
        Test::new()
            .runbook(body(exact))
            .args(args)
            .args(["--var", "api_token=tok_abcdef123456"])
            .stderr_contains(
                "warning: values made from a secret, such as `{{ token | upper }}`, are not masked",
            )
            .stderr_contains("the template tests a secret's exact text")
            .run();
    }
}

/// A template with one variable, `replicas` (2 by default), that its
/// block prints as `scale to N`.
fn scale() -> String {
    template(
        "replicas: 2",
        "
        # Scale

        ```bash
        echo scale to {{ replicas }}
        ```
        ",
    )
}

/// A `--var` the template never reads is most likely misspelt: the run goes
/// on with the value it meant to change, so runsheet says so, with the name
/// it may have meant. A variable the template reads gets no warning.
#[test]
fn a_var_the_template_never_reads_is_a_warning_with_the_likely_name() {
    let body = scale();
    let t = Test::new()
        .runbook(&body)
        .args(["run", "--yes", RUNBOOK, "-o", OUT, "--var", "replcas=5"])
        .stdout_contains("scale to 2")
        .stderr_contains("warning: --var replcas=...: the template never reads `replcas`")
        .stderr_contains("did you mean `replicas`?")
        .run();
    let t = t
        .then()
        .args(["render", RUNBOOK, "--var", "replicas=5"])
        .stdout_contains("scale to 5")
        .stderr_lacks("never reads")
        .run();
    // `{{ env }}` with no environment chosen names `env`, not an empty
    // environment variable.
    t.then()
        .runbook(template("x: 1", "# To {{ env }}\n"))
        .args(["render", RUNBOOK])
        .status(2)
        .stderr_contains("`env` alone is the name of the environment, and none was chosen")
        .run();
}

#[test]
fn a_name_an_environment_or_variables_file_sets_and_nobody_reads_is_a_warning_at_its_line() {
    let body = scale();
    let t = Test::new()
        .runbook(&body)
        .file(
            "envs/stage.toml",
            "# Staging\nreplcas = 3\nregion = \"eu\"\n",
        )
        .args(["render", RUNBOOK, "--env", "stage"])
        .stdout_contains("scale to 2")
        .stderr_contains(
            "warning: the template never reads `replcas`, which this environment file sets\n \
             --> envs/stage.toml:2:1\n  |\n2 | replcas = 3\n",
        )
        .stderr_contains("did you mean `replicas`?")
        // A name with none like it that the template reads may be another
        // runbook's: no warning.
        .stderr_lacks("`region`")
        .run();
    let t = t
        .then()
        .file(
            "vars.json",
            "{\n  \"hosts\": [\"a\"],\n  \"replicsa\": 4\n}\n",
        )
        .args([
            "run",
            "--yes",
            RUNBOOK,
            "-o",
            OUT,
            "--var-file",
            "vars.json",
        ])
        .stdout_contains("scale to 2")
        .stderr_contains(
            "warning: the template never reads `replicsa`, which this variables file sets\n \
             --> vars.json:3:4\n",
        )
        .stderr_contains("did you mean `replicas`?")
        .stderr_lacks("`hosts`")
        .run();
    // Set right, it is read: no warning.
    t.then()
        .file("envs/stage.toml", "replicas = 3\n")
        .args(["plan", RUNBOOK, "--env", "stage"])
        .stdout_contains("echo scale to 3")
        .stderr_lacks("never reads")
        .run();
}

/// A template whose front matter, loop and conditions make its rendering's
/// lines other than its own: its steps are on lines 10 (all three tasks the
/// loop makes), 13 and 18.
const NUMBERED: &str = "---
runsheet:
  vars:
    host: web1
    n: 3
---
# Deploy {{ host }}

{% for i in range(n) %}
- [ ] check {{ i }}
{% endfor %}

```bash
echo hi {{ host }}
false
```

Status: ____
";

/// The numbers of the `\"line\": N` fields of a JSON text, in order.
fn json_lines(json: &str) -> Vec<u64> {
    let mut found = Vec::new();
    fn walk(value: &serde_json::Value, found: &mut Vec<u64>) {
        match value {
            serde_json::Value::Object(map) => {
                for (k, v) in map {
                    match (k.as_str(), v.as_u64()) {
                        ("line", Some(n)) => found.push(n),
                        _ => walk(v, found),
                    }
                }
            }
            serde_json::Value::Array(items) => items.iter().for_each(|v| walk(v, found)),
            _ => {}
        }
    }
    walk(&serde_json::from_str(json).expect("JSON"), &mut found);
    found
}

#[test]
fn plan_gives_each_step_the_line_of_the_template_it_came_from() {
    let t = Test::new().runbook(NUMBERED).args(["plan", RUNBOOK]).run();
    let lines: Vec<&str> = t
        .stdout
        .lines()
        .filter_map(|l| l.split_whitespace().next())
        .filter(|w| w.parse::<usize>().is_ok())
        .collect();
    assert_eq!(lines, ["10", "10", "10", "13", "18"], "{}", t.stdout);
    let t = t.then().args(["plan", "--format", "json", RUNBOOK]).run();
    assert_eq!(json_lines(&t.stdout), [10, 10, 10, 13, 18], "{}", t.stdout);
    let t = t.then().args(["plan", "--answers-template", RUNBOOK]).run();
    let said: Vec<&str> = t
        .stdout
        .lines()
        .filter_map(|l| l.strip_prefix("# line "))
        .filter_map(|l| l.split(':').next())
        .collect();
    assert_eq!(said, ["10", "10", "10", "18"], "{}", t.stdout);
    // `--from` takes the line plan shows.
    t.then()
        .args(["run", "--yes", "--from", "13", RUNBOOK, "-o", OUT])
        .status(1)
        .stderr_contains("runbook.md:13  echo hi web1 · exit 1")
        .run();
}

#[test]
fn a_failing_templated_block_is_named_at_its_template_line() {
    let t = Test::new()
        .runbook(NUMBERED)
        .args(["run", "--yes", RUNBOOK, "-o", OUT, "--report", "run.json"])
        .status(1)
        .stderr_contains("runbook.md:13  echo hi web1 · exit 1")
        .stderr_contains("runbook.md:10  check 2")
        .run();
    let transcript = t.read(OUT);
    assert!(
        transcript.contains("Failed: [echo hi web1](#rs-s4) (runbook.md:13)"),
        "{transcript}"
    );
    // The run summary keeps the lines, so that the transcript read back
    // gives them too.
    assert!(
        transcript.contains(" lines=7-8,10*3,12-19 "),
        "{transcript}"
    );
    assert_eq!(json_lines(&t.read("run.json")), [10, 10, 10, 13, 18]);
    let t = t.then().args(["report", OUT]).run();
    assert_eq!(json_lines(&t.stdout), [10, 10, 10, 13, 18], "{}", t.stdout);
    let t = t
        .then()
        .args(["report", "--format", "junit", OUT])
        .stdout_contains("line=\"13\"")
        .run();
    assert!(!t.stdout.contains("line=\"7\""), "{}", t.stdout);
    let t = t
        .then()
        .args(["resume", "--yes", OUT])
        .status(1)
        .stderr_contains("runbook.md:13  echo hi web1 · exit 1")
        .run();
    t.then()
        .args(["diff", OUT, OUT])
        .stdout_contains("equivalent")
        .run();
}

#[test]
fn findings_on_a_templated_runbook_name_their_template_lines() {
    let body = "---
runsheet:
  vars:
    prod: false
    hosts: [a, b]
---
# Checks
{% if prod %}
- [ ] Announce
- [ ] Wait for the window
{% endif %}

```bash
# look at the dashboard
```
{% for host in hosts %}

```bash {name=same}
echo {{ host }}
```
{% endfor %}
";
    let t = Test::new()
        .runbook(body)
        .args(["plan", RUNBOOK])
        .status(1)
        .stdout_contains("warning: this block holds no command")
        .stdout_contains("--> runbook.md:13:4")
        .stdout_contains("error: `name=same` is already the name of the block on line 18")
        .stdout_contains("--> runbook.md:18:")
        .run();
    let t = t
        .then()
        .args(["plan", "--format", "json", RUNBOOK])
        .status(1)
        .run();
    let json: serde_json::Value = serde_json::from_str(&t.stdout).expect("JSON");
    let found: Vec<u64> = json["diagnostics"]
        .as_array()
        .expect("diagnostics")
        .iter()
        .filter_map(|d| d["line"].as_u64())
        .collect();
    assert_eq!(found, [13, 18], "{}", t.stdout);
}

#[test]
fn steps_below_a_condition_that_drops_lines_keep_their_template_lines() {
    let body = "---
runsheet:
  vars:
    prod: false
---
# Deploy
{% if prod %}
- [ ] Open the change window
- [ ] Tell the on-call
{% endif %}

```bash
echo deploying
not_a_command_xyz
```
";
    let t = Test::new()
        .runbook(body)
        .args(["plan", RUNBOOK])
        .stdout_contains("   12  command  bash$ echo deploying")
        .run();
    let t = t
        .then()
        .args(["plan", RUNBOOK, "--var", "prod=true"])
        .stdout_contains("    8  task     [ ] Open the change window")
        .stdout_contains("    9  task     [ ] Tell the on-call")
        .stdout_contains("   12  command  bash$ echo deploying")
        .run();
    let t = t
        .then()
        .run_yes()
        .status(1)
        .stderr_contains("runbook.md:12  echo deploying · exit 127")
        .run();
    // bash's message about the block names the template's line too.
    let output = t.outputs().join("");
    assert!(
        output.contains("runbook.md:14: not_a_command_xyz: command not found"),
        "{output}"
    );
}

/// A `--var` value of the wrong kind, a `--var` without `=`, a `.env` line
/// that is not `KEY=value`: the error never shows a secret variable's value,
/// nor a value that looks like a token, in `render`, `plan` or `run`.
#[test]
fn errors_about_values_given_never_show_a_secret() {
    let runbook = template(
        "deploy_keys: []\napi_token: 0\nreplicas: 1",
        "
        ```bash
        echo {{ deploy_keys | length }} {{ api_token }} {{ replicas }}
        ```
        ",
    );
    let token = "ghp_Q9x7Lm2Vb8Nc4Zr6Tt1Yw3Pk5Hd0Sj2Fg7Ua9E";
    // (--var given, what must not be seen, what the error says instead)
    let cases = [
        (
            "deploy_keys=ssh-ed25519 AAAAReallyPrivate".to_string(),
            "ReallyPrivate",
            "--var deploy_keys=...: `deploy_keys` is a list",
        ),
        (
            "api_token=hunter2-not-a-number".to_string(),
            "hunter2",
            "--var api_token=...: `api_token` is a number",
        ),
        (
            format!("replicas={token}"),
            "Q9x7Lm2V",
            "--var replicas=...: `replicas` is a number",
        ),
        (token.to_string(), "Q9x7Lm2V", "has no `=`"),
    ];
    let mut t = Test::new().runbook(&runbook);
    for (var, secret, says) in &cases {
        for command in ["render", "plan", "run"] {
            let mut args = vec![command, RUNBOOK, "--var", var];
            if command == "run" {
                args.extend(["--yes", "-o", OUT]);
            }
            // `plan` reports what it found with 1.
            let status = if command == "plan" { 1 } else { 2 };
            let out = t.args(args).status(status).stderr_contains(says).run();
            assert!(
                !out.stderr.contains(secret),
                "{command} --var {var}: {}",
                out.stderr
            );
            t = out.then();
        }
    }
    // A value that is neither: still shown, to see what was wrong.
    let t = t
        .args(["render", RUNBOOK, "--var", "replicas=many"])
        .status(2)
        .stderr_contains("`many` is not one")
        .run();
    let t = t
        .then()
        .file("bad.env", "DB_PASSWORD hunter2hunter2\n")
        .args(["render", RUNBOOK, "--dotenv", "bad.env"])
        .status(2)
        .stderr_contains("bad.env:1: this line is not KEY=value")
        .stderr_lacks("hunter2")
        .run();
    assert!(!t.exists(OUT));
    // A refusal that quotes the value it refused shows a secret masked.
    t.then()
        .runbook(template(
            "api_token: x",
            "
            ```bash
            echo $(( {{ api_token }} + 1 ))
            ```
            ",
        ))
        .args(["render", RUNBOOK, "--var", "api_token=hunter2hunter2"])
        .status(2)
        .stderr_contains("`•••` lands inside $((...))")
        .stderr_lacks("hunter2")
        .run();
}

/// Tags that share their line with text, and tags alone on theirs.
const INLINE_TAGS: &str = "---
runsheet:
  vars:
    dry_run: true
    prod: true
---
# Upgrade

- [ ] Apply
  ```bash
  echo apply{% if dry_run %} --dry-run=server{% endif %}
  echo rollout-status
  ```
- [ ] Announce{% if prod %} in #prod{% endif %}
- [ ] Deploy
  ```bash
  echo deploy{% if dry_run %} --dry-run{% endif %}
  ```
- [ ] Shout
    {% if prod %}  \t
  ```bash
    {% filter lower %}echo LOUD{% endfilter %}
  ```
    {% endif %}   
- [ ] Tell #ops{% if prod %} now{% endif %}
";

#[test]
fn a_tag_that_shares_its_line_with_text_leaves_the_line_as_it_is() {
    let t = Test::new()
        .runbook(INLINE_TAGS)
        .args(["render", RUNBOOK])
        .run();
    // Each line with text keeps its indentation and line break, the final
    // one included; the lines of `{% if %}` and `{% endif %}` alone (with
    // whitespace around them) are gone.
    assert_eq!(
        t.stdout,
        "# Upgrade

- [ ] Apply
  ```bash
  echo apply --dry-run=server
  echo rollout-status
  ```
- [ ] Announce in #prod
- [ ] Deploy
  ```bash
  echo deploy --dry-run
  ```
- [ ] Shout
  ```bash
    echo loud
  ```
- [ ] Tell #ops now
"
    );
    let t = t.then().args(["plan", RUNBOOK]).run();
    let plan: Vec<&str> = t.stdout.lines().filter(|l| l.starts_with("   ")).collect();
    assert_eq!(
        plan,
        [
            "    9  task     [ ] Apply",
            "   10    command  bash$ echo apply --dry-run=server",
            "   14  task     [ ] Announce in #prod",
            "   15  task     [ ] Deploy",
            "   16    command  bash$ echo deploy --dry-run",
            "   19  task     [ ] Shout",
            "   21    command  bash$ echo loud",
            "   25  task     [ ] Tell #ops now",
        ],
        "{}",
        t.stdout
    );
    // Both commands of the first block run, each on its own; the second
    // block's fence is closed, so the tasks after it are tasks.
    // (The two tasks without a block wait for a person: exit 3.)
    let t = t
        .then()
        .run_yes()
        .status(3)
        .stderr_contains("runbook.md:14  Announce in #prod\n  runbook.md:25  Tell #ops now\n")
        .run();
    assert_eq!(
        t.outputs(),
        [
            "apply --dry-run=server\nrollout-status\n",
            "deploy --dry-run\n",
            "loud\n"
        ]
    );
}

#[test]
fn explicit_whitespace_control_and_raw_text_keep_their_meaning() {
    let body = template(
        "who: ops",
        "
        # Notes
        Hi {{ who }}
          {%- if who %}
        !
        {% endif %}
        {% raw %}
          {% if x %}
        ${{ secrets.TOKEN }}{% endif %}
          {% endraw %}
        a{% raw %} {# #} {% endraw %}b
        {% if who -%}
            c
        {% endif %}
        ",
    );
    Test::new()
        .runbook(&body)
        .args(["render", RUNBOOK])
        .stdout_contains(
            "# Notes\nHi ops!\n  {% if x %}\n${{ secrets.TOKEN }}{% endif %}\na {# #} b\nc\n",
        )
        .run();
}

/// A value that would make a here-document's line its delimiter ends the
/// here-document early, and the data lines after it would run as commands:
/// it is refused at its place in the template, for `<<END`, `<<'EOF'` and
/// `<<-EOF` (leading tabs stripped) alike; a value that only contains the
/// delimiter is data as ever.
#[test]
fn a_value_never_ends_a_here_document() {
    let body = |opener: &str, delimiter: &str, indent: &str| {
        template(
            "marker: x",
            &format!(
                "
                ```bash
                cat > /dev/null {opener}
                {indent}key={{{{ marker }}}}
                {indent}{{{{ marker }}}}
                {indent}touch this-was-data
                {delimiter}
                echo after
                ```
                "
            ),
        )
    };
    for (opener, delimiter, indent, value) in [
        ("<<END", "END", "", "END"),
        ("<<'EOF'", "EOF", "", "EOF"),
        ("<<-EOF", "\tEOF", "\t", "\tEOF"),
    ] {
        let t = Test::new()
            .runbook(body(opener, delimiter, indent))
            .args(["run", "--yes", RUNBOOK, "-o", OUT, "--var"])
            .arg(format!("marker={value}"))
            .status(2)
            .stderr_contains("makes a line of the here-document read")
            .stderr_contains("--> runbook.md:9:")
            .run();
        assert!(!t.exists("this-was-data"), "{opener}: a data line ran");
        assert!(!t.exists(OUT), "{opener}: something ran");
        let t = t
            .then()
            .args(["render", RUNBOOK, "--var"])
            .arg(format!("marker={value}"))
            .status(2)
            .stderr_contains("the lines after it would run as commands")
            .run();
        // Only on its own line is the value the delimiter.
        let t = t
            .then()
            .args(["run", "--yes", RUNBOOK, "-o", OUT, "--var"])
            .arg(format!("marker={value}-2"))
            .stdout_contains("after")
            .run();
        assert!(!t.exists("this-was-data"), "{opener}: a data line ran");
    }
}

#[test]
fn lookalikes_in_a_template_are_told_to_go_inside_raw_where_they_stand() {
    // GitHub Actions' `${{ ... }}` is not a missing variable to set.
    let t = Test::new()
        .runbook(template(
            "x: 1",
            "
            # CI

            ```bash
            echo \"${{ secrets.TOKEN }}\"
            ```
            ",
        ))
        .args(["render", RUNBOOK])
        .status(2)
        .stderr_contains("error: undefined variable `secrets`\n --> runbook.md:9:11\n")
        .stderr_contains("put it inside {% raw %}...{% endraw %}")
        .stderr_lacks("--var secrets=")
        .run();
    // bash's `${#arr[@]}` opens a comment that is never closed: the error
    // is where it opened, not at the end of the file.
    t.then()
        .runbook(template(
            "x: 1",
            "
            # Count
            {# a closed comment #}
            ```bash
            arr=(a b)
            echo ${#arr[@]}
            ```

            - [ ] Check
            ",
        ))
        .args(["plan", RUNBOOK])
        .status(1)
        .stderr_contains(
            "`{#` opens a template comment that is never closed with `#}`\n  --> runbook.md:10:7\n",
        )
        .stderr_contains("bash's `${#arr[@]}`")
        .stderr_contains("{% raw %}...{% endraw %}")
        .run();
}

/// What a template leaves open runs to its end: the error is where it
/// opened. A name that is not ASCII is an error at its place, not a crash.
#[test]
fn what_a_template_leaves_open_is_shown_where_it_opens() {
    let t = Test::new()
        .runbook(template(
            "x: 1",
            "
            # Notes
            {% raw %}{{ .Values.image }}
            ```bash
            echo {{ x }}
            ```
            ",
        ))
        .args(["render", RUNBOOK])
        .status(2)
        .stderr_contains("`{% raw %}` is never closed with `{% endraw %}`\n --> runbook.md:7:1\n")
        .run();
    let t = t
        .then()
        .runbook(template(
            "x: 1",
            "
            # Notes
            {% if x == \"prod %} yes {% endif %}
            done
            ",
        ))
        .args(["render", RUNBOOK])
        .status(2)
        .stderr_contains(
            "this quote opens a string inside a tag that is never closed\n --> runbook.md:7:12\n",
        )
        .run();
    t.then()
        .runbook(template("x: 1", "\n# Notes\n{{ café }}\n"))
        .args(["render", RUNBOOK])
        .status(2)
        .stderr_contains("template syntax error: unexpected character\n --> runbook.md:7:7\n")
        .run();
}
