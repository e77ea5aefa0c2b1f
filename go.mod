module github.com/jenkins-trigger/jenkins-trigger

go 1.26.0

require (
	github.com/sethvargo/go-envconfig v1.4.3
	github.com/sethvargo/go-githubactions v1.4.0
)

require gopkg.in/yaml.v3 v3.0.1
