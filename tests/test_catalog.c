/*
 * The instance-type catalog: the project's EC2 catalog against Karpenter's
 * own figures, label derivation as the AWS provider does it, every class of
 * bad file with its exact file:line:col, lookup and did-you-mean.
 */
#include <criterion/criterion.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "catalog.h"
#include "scheduler.h"
#include "units.h"

#define PROJECT "scenarios/catalogs/ec2-us-east-1.csv"
#define HDR "name,arch,vcpu,memory_mib,max_pods,price_usd_hour\n"

static char dir[64];

static void mkdir_tmp(void)
{
	strcpy(dir, "/tmp/hr-catalog-XXXXXX");
	cr_assert(mkdtemp(dir));
}

static void rm_tmp(void)
{
	char cmd[128];
	snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
	cr_assert_eq(system(cmd), 0);
}

TestSuite(catalog, .init = mkdir_tmp, .fini = rm_tmp);

/* Writes text to dir/name and returns the path (a buffer per name, reused). */
static const char *put_as(const char *name, const char *text)
{
	static char paths[2][256];
	char *path = paths[strcmp(name, "c.csv") != 0];
	snprintf(path, 256, "%s/%s", dir, name);
	FILE *f = fopen(path, "w");
	cr_assert(f);
	fputs(text, f);
	fclose(f);
	return path;
}

/* Writes text to dir/c.csv and returns the path. */
static const char *put(const char *text) { return put_as("c.csv", text); }

/* m5.large is 1930m, 6903Mi, 29 pods (docs/model.md, Instance types and
 * allocatable). */
Test(catalog, m5_large_allocatable)
{
	struct catalog c;
	struct herr e;
	cr_assert_eq(catalog_load(&c, PROJECT, &e), 0, "%s", e.msg);
	const struct instance_type *t = catalog_find(&c, "m5.large");
	cr_assert(t);
	cr_expect_eq(llround(t->alloc_cpu * 1000), 1930);
	cr_expect_eq(t->alloc_mem, 6903 * SCHED_MIB);
	cr_expect_eq(t->alloc_pods, 29);
	cr_expect_eq(t->vcpu, 2);
	cr_expect_eq(t->memory_mib, 8192);
	cr_expect_eq(t->price_hour, 0.096);
	cr_expect(t->spot_price_hour <= 0, "no spot price in the shared data");
	cr_expect(!t->arm64);
	cr_expect_str_eq(c.path, PROJECT);
	catalog_free(&c);
}

/*
 * Every row of the allocatable table the catalog was made from
 * (scenarios/catalogs/README.md: name, Karpenter's allocatable cpu and
 * memory, max_pods, price_usd_hour): the figures of aws/karpenter-provider-aws's
 * generated instance-type reference, copied here so the test stands alone.
 */
static const struct {
	const char *name, *cpu, *mem;
	int pods;
	double price;
} karpenter[] = {
	{"m5.large", "1930m", "6903Mi", 29, 0.096000}, {"m5.xlarge", "3920m", "14162Mi", 58, 0.192000},
	{"m5.2xlarge", "7910m", "29317Mi", 58, 0.384000}, {"m5.4xlarge", "15890m", "57691Mi", 234, 0.768000},
	{"m5.8xlarge", "31850m", "118312Mi", 234, 1.536000}, {"m6i.large", "1930m", "6903Mi", 29, 0.096000},
	{"m6i.xlarge", "3920m", "14162Mi", 58, 0.192000}, {"m6i.2xlarge", "7910m", "29317Mi", 58, 0.384000},
	{"m6i.4xlarge", "15890m", "57691Mi", 234, 0.768000}, {"m6i.8xlarge", "31850m", "118312Mi", 234, 1.536000},
	{"m7i.large", "1930m", "6903Mi", 29, 0.100800}, {"m7i.xlarge", "3920m", "14162Mi", 58, 0.201600},
	{"m7i.2xlarge", "7910m", "29317Mi", 58, 0.403200}, {"m7i.4xlarge", "15890m", "57691Mi", 234, 0.806400},
	{"m7i.8xlarge", "31850m", "118312Mi", 234, 1.612800}, {"c5.large", "1930m", "3114Mi", 29, 0.085000},
	{"c5.xlarge", "3920m", "6584Mi", 58, 0.170000}, {"c5.2xlarge", "7910m", "14162Mi", 58, 0.340000},
	{"c5.4xlarge", "15890m", "27381Mi", 234, 0.680000}, {"c5.9xlarge", "35840m", "65269Mi", 234, 1.530000},
	{"c6i.large", "1930m", "3114Mi", 29, 0.085000}, {"c6i.xlarge", "3920m", "6584Mi", 58, 0.170000},
	{"c6i.2xlarge", "7910m", "14162Mi", 58, 0.340000}, {"c6i.4xlarge", "15890m", "27381Mi", 234, 0.680000},
	{"c6i.8xlarge", "31850m", "57691Mi", 234, 1.360000}, {"c7i.large", "1930m", "3114Mi", 29, 0.089250},
	{"c7i.xlarge", "3920m", "6584Mi", 58, 0.178500}, {"c7i.2xlarge", "7910m", "14162Mi", 58, 0.357000},
	{"c7i.4xlarge", "15890m", "27381Mi", 234, 0.714000}, {"c7i.8xlarge", "31850m", "57691Mi", 234, 1.428000},
	{"r6i.large", "1930m", "14481Mi", 29, 0.126000}, {"r6i.xlarge", "3920m", "29317Mi", 58, 0.252000},
	{"r6i.2xlarge", "7910m", "59627Mi", 58, 0.504000}, {"r6i.4xlarge", "15890m", "118312Mi", 234, 1.008000},
	{"r6i.8xlarge", "31850m", "239554Mi", 234, 2.016000}, {"m6g.large", "1930m", "6844Mi", 29, 0.077000},
	{"m6g.xlarge", "3920m", "14103Mi", 58, 0.154000}, {"m6g.2xlarge", "7910m", "29258Mi", 58, 0.308000},
	{"m6g.4xlarge", "15890m", "57632Mi", 234, 0.616000}, {"m6g.8xlarge", "31850m", "118253Mi", 234, 1.232000},
	{"c6g.large", "1930m", "3055Mi", 29, 0.068000}, {"c6g.xlarge", "3920m", "6525Mi", 58, 0.136000},
	{"c6g.2xlarge", "7910m", "14103Mi", 58, 0.272000}, {"c6g.4xlarge", "15890m", "27322Mi", 234, 0.544000},
	{"c6g.8xlarge", "31850m", "57632Mi", 234, 1.088000}, {"m7g.large", "1930m", "6844Mi", 29, 0.081600},
	{"m7g.xlarge", "3920m", "14103Mi", 58, 0.163200}, {"m7g.2xlarge", "7910m", "29258Mi", 58, 0.326400},
	{"m7g.4xlarge", "15890m", "57632Mi", 234, 0.652800}, {"m7g.8xlarge", "31850m", "118253Mi", 234, 1.305600},
	{"t3.large", "1930m", "6837Mi", 35, 0.083200}, {"t3.xlarge", "3920m", "14162Mi", 58, 0.166400},
	{"t3.2xlarge", "7910m", "29317Mi", 58, 0.332800},
};

Test(catalog, every_row_matches_karpenter)
{
	struct catalog c;
	struct herr e;
	cr_assert_eq(catalog_load(&c, PROJECT, &e), 0, "%s", e.msg);
	cr_expect_eq(c.n, ARRAY_LEN(karpenter), "%zu types", c.n);
	for (size_t i = 0; i < ARRAY_LEN(karpenter); i++) {
		const char *name = karpenter[i].name;
		const struct instance_type *t = catalog_find(&c, name);
		cr_assert(t, "%s is missing", name);
		cr_expect_eq(t, &c.types[i], "%s: out of order", name);
		double cpu, mem;
		char why[UNITS_WHY];
		cr_assert_eq(units_cpu(karpenter[i].cpu, &cpu, why), 0);
		cr_assert_eq(units_memory(karpenter[i].mem, &mem, why), 0);
		cr_expect_eq(llround(t->alloc_cpu * 1000), llround(cpu * 1000), "%s cpu %.3f", name, t->alloc_cpu);
		cr_expect_eq(t->alloc_mem, mem, "%s memory %.0f MiB", name, t->alloc_mem / SCHED_MIB);
		cr_expect_eq(t->alloc_pods, karpenter[i].pods, "%s pods", name);
		cr_expect_eq(t->max_pods, karpenter[i].pods, "%s max pods", name);
		cr_expect_eq(t->price_hour, karpenter[i].price, "%s price", name);
		cr_expect_eq(t->arm64, strchr(t->family, 'g') != NULL, "%s arch", name); /* Graviton: m6g, c6g, m7g */
		cr_expect(t->spot_price_hour <= 0, "%s spot", name);
	}
	catalog_free(&c);
}

/* The labels karpenter.k8s.aws/instance-{family,size,category,generation}. */
Test(catalog, labels_as_karpenter_derives_them)
{
	static const struct {
		const char *name, *family, *size, *category;
		int generation;
	} rows[] = {
		{"m5.large", "m5", "large", "m", 5},
		{"c6in.2xlarge", "c6in", "2xlarge", "c", 6},
		{"m7g.xlarge", "m7g", "xlarge", "m", 7},
		{"r6i.metal", "r6i", "metal", "r", 6},
		{"t3.medium", "t3", "medium", "t", 3},
		{"x2iedn.xlarge", "x2iedn", "xlarge", "x", 2},
		{"inf2.xlarge", "inf2", "xlarge", "inf", 2},
		{"hpc7g.16xlarge", "hpc7g", "16xlarge", "hpc", 7},
		{"u-6tb1.metal", "u-6tb1", "metal", "u", 1},
		{"u7i-12tb.224xlarge", "u7i-12tb", "224xlarge", "u", 7},
		{"mac2-m2pro.metal", "mac2-m2pro", "metal", "mac", 2},
		{"c5.9xlarge", "c5", "9xlarge", "c", 5},
		{"mac-m.metal", "mac-m", "metal", "", 0}, /* no digits: the expression does not match */
	};
	for (size_t i = 0; i < ARRAY_LEN(rows); i++) {
		struct instance_type t = {0};
		strcpy(t.name, rows[i].name);
		cr_assert_eq(catalog_labels(&t), 0, "%s", rows[i].name);
		cr_expect_str_eq(t.family, rows[i].family, "%s", rows[i].name);
		cr_expect_str_eq(t.size, rows[i].size, "%s", rows[i].name);
		cr_expect_str_eq(t.category, rows[i].category, "%s", rows[i].name);
		cr_expect_eq(t.generation, rows[i].generation, "%s", rows[i].name);
	}
	static const char *const refused[] = {"m5", "m5.large.x", ".large", "m5.", "averyveryverylongfamily.large"};
	for (size_t i = 0; i < ARRAY_LEN(refused); i++) {
		struct instance_type t = {0};
		strcpy(t.name, refused[i]);
		cr_expect_eq(catalog_labels(&t), -1, "%s", refused[i]);
	}
}

Test(catalog, project_rows_carry_their_labels)
{
	struct catalog c;
	struct herr e;
	cr_assert_eq(catalog_load(&c, PROJECT, &e), 0, "%s", e.msg);
	const struct instance_type *t = catalog_find(&c, "m7g.xlarge");
	cr_assert(t);
	cr_expect(t->arm64);
	cr_expect_str_eq(t->family, "m7g");
	cr_expect_str_eq(t->category, "m");
	cr_expect_eq(t->generation, 7);
	cr_expect_str_eq(t->size, "xlarge");
	t = catalog_find(&c, "c5.9xlarge");
	cr_assert(t);
	cr_expect_eq(t->vcpu, 36);
	cr_expect_eq(t->memory_mib, 73728);
	catalog_free(&c);
}

/* Any column order, optional columns, quotes, comments, blank lines, CRLF. */
Test(catalog, flexible_files)
{
	const char *text = "\xef\xbb\xbf# my catalog\r\n"
			   "price_usd_hour, spot_price_usd_hour ,max_pods,memory_mib,vcpu,arch,name,category\r\n"
			   "\r\n"
			   "0.096,0.04,29,8192,2,amd64,\"m5.large\",m\r\n"
			   "  # a comment\r\n"
			   "0.0816,,29,8192,2,arm64, m7g.large ,\"m\"\r\n";
	struct catalog c;
	struct herr e;
	cr_assert_eq(catalog_load(&c, put(text), &e), 0, "%s", e.msg);
	cr_assert_eq(c.n, 2);
	cr_expect_str_eq(c.types[0].name, "m5.large");
	cr_expect_eq(c.types[0].spot_price_hour, 0.04);
	cr_expect_eq(llround(c.types[0].alloc_cpu * 1000), 1930);
	cr_expect_eq(c.types[0].alloc_mem, 6903 * SCHED_MIB);
	cr_expect_str_eq(c.types[1].name, "m7g.large");
	cr_expect(c.types[1].arm64);
	cr_expect_eq(c.types[1].spot_price_hour, 0);
	cr_expect_eq(c.types[1].alloc_mem, 6844 * SCHED_MIB);
	catalog_free(&c);
	catalog_free(&c); /* twice is harmless */
	catalog_free(NULL);
}

struct bad_case {
	const char *text;
	const char *msg; /* after "path:" */
};

Test(catalog, errors_name_their_place)
{
	static const struct bad_case cases[] = {
		{"name,arch,vcpu,memory_mib,max_pods,price_usd_hour,zone\nm5.large,amd64,2,8192,29,0.096,a\n",
		 "1:51: unknown column 'zone' (the columns are name, family, generation, size, category, arch, vcpu, "
		 "memory_mib, max_pods, price_usd_hour, spot_price_usd_hour)"},
		{"name,arch,vcpu,memory_mib,max_pods,prise_usd_hour\n",
		 "1:36: unknown column 'prise_usd_hour'; did you mean 'price_usd_hour'?"},
		{"name,zone,arch,vcpu,memory_mib,max_pods,price_usd_hour,az\n",
		 "1:6: unknown columns 'zone', 'az' (the columns are name, family, generation, size, category, arch, "
		 "vcpu, memory_mib, max_pods, price_usd_hour, spot_price_usd_hour)"},
		{"name,arch,vcpu,memory_mib,price_usd_hour\nm5.large,amd64,2,8192,0.096\n",
		 "1:1: missing column 'max_pods' (required: name, arch, vcpu, memory_mib, max_pods, price_usd_hour)"},
		{"name,vcpu,memory_mib,price_usd_hour\n",
		 "1:1: missing columns 'arch', 'max_pods' (required: name, arch, vcpu, memory_mib, max_pods, "
		 "price_usd_hour)"},
		{"name,arch,vcpu,memory_mib,max_pods,vcpu,price_usd_hour\n",
		 "1:36: column 'vcpu' appears twice (first at column 11)"},
		{"name,arch,,vcpu\n", "1:11: empty column name in the header"},
		{HDR "m5.large,amd64,two,8192,29,0.096\n", "2:16: vcpu 'two' is not a whole number"},
		{HDR "m5.large,amd64,2,8192.5,29,0.096\n", "2:18: memory_mib '8192.5' is not a whole number"},
		{HDR "m5.large,amd64,2,8192,29,cheap\n", "2:26: price_usd_hour 'cheap' is not a number"},
		{HDR "m5.large,amd64,2,8192,29,-0.096\n",
		 "2:26: price_usd_hour '-0.096' is out of range: want more than 0 and at most 1000 (USD per hour)"},
		{HDR "m5.large,amd64,2,8192,29,0\n",
		 "2:26: price_usd_hour '0' is out of range: want more than 0 and at most 1000 (USD per hour)"},
		{HDR "m5.large,amd64,0,8192,29,0.096\n", "2:16: vcpu '0' is out of range: want 1 to 4096"},
		{HDR "m5.large,amd64,2,8192,,0.096\n", "2:23: max_pods '' is empty"},
		{HDR "m5.large,amd64,2,8192,29,0.096\nc5.large,amd64,2,4096,29,0.085\nm5.large,amd64,2,8192,29,0.096\n",
		 "4:1: instance type 'm5.large' appears twice (first on line 2)"},
		{HDR "m5.large,amd64,2,8192,29\n", "2:25: 5 cells, but the header names 6 columns"},
		{HDR "m5.large,amd64,2,8192,29,0.096,x\n", "2:32: 7 cells, but the header names 6 columns"},
		{HDR "m5.large,x86_64,2,8192,29,0.096\n",
		 "2:10: arch 'x86_64' is not amd64 or arm64 (the values of kubernetes.io/arch)"},
		{HDR "M5.large,amd64,2,8192,29,0.096\n",
		 "2:1: name 'M5.large' is not an EC2 instance type: want family.size in lower case, e.g. m5.large"},
		{HDR "m5,amd64,2,8192,29,0.096\n",
		 "2:1: name 'm5' is not an EC2 instance type: want family.size in lower case, e.g. m5.large"},
		{HDR ",amd64,2,8192,29,0.096\n", "2:1: name is empty"},
		{"name,family,arch,vcpu,memory_mib,max_pods,price_usd_hour\nm5.large,m6,amd64,2,8192,29,0.096\n",
		 "2:10: family 'm6' does not match name 'm5.large': Karpenter's label is 'm5'"},
		{"name,arch,vcpu,memory_mib,max_pods,price_usd_hour,generation\nm5.large,amd64,2,8192,29,0.096,6\n",
		 "2:32: generation '6' does not match name 'm5.large': Karpenter's label is '5'"},
		{"name,arch,vcpu,memory_mib,max_pods,price_usd_hour,spot_price_usd_hour\n"
		 "m5.large,amd64,2,8192,29,0.096,0.2\n",
		 "2:32: spot_price_usd_hour '0.2' is above price_usd_hour '0.096': EC2 caps spot at the on-demand price"},
		{HDR "tiny.nano,amd64,1,512,29,0.01\n",
		 "2:19: memory_mib '512' leaves no allocatable memory: Karpenter reserves 574 MiB for 29 pods "
		 "(11 per pod + 255), 100 MiB for eviction and 7.5% for the VM"},
		{HDR "\"m5.large,amd64,2,8192,29,0.096\n", "2:1: unterminated quote"},
		{HDR "\"m5\".large,amd64,2,8192,29,0.096\n", "2:5: text after a closing quote: quote the whole cell"},
		{"", " no header: want a first line naming the columns, e.g. "
		     "name,arch,vcpu,memory_mib,max_pods,price_usd_hour"},
		{"# only a comment\n\n", " no header: want a first line naming the columns, e.g. "
					 "name,arch,vcpu,memory_mib,max_pods,price_usd_hour"},
		{HDR, " no instance types: the file has a header but no rows"},
	};
	for (size_t i = 0; i < ARRAY_LEN(cases); i++) {
		struct catalog c = {.types = (struct instance_type *)1, .n = 7}; /* load must not read it */
		struct herr e = {""};
		const char *path = put(cases[i].text);
		int rc = catalog_load(&c, path, &e);
		char want[1024];
		snprintf(want, sizeof want, "%s:%s", path, cases[i].msg);
		cr_expect_eq(rc, -1, "case %zu: accepted", i);
		cr_expect_str_eq(e.msg, want, "case %zu:\n got  %s\n want %s", i, e.msg, want);
		cr_expect(c.types == NULL && c.n == 0 && c.path == NULL, "case %zu: catalog not emptied", i);
	}
}

Test(catalog, missing_file)
{
	struct catalog c;
	struct herr e;
	char path[128];
	snprintf(path, sizeof path, "%s/nope.csv", dir);
	cr_assert_eq(catalog_load(&c, path, &e), -1);
	char want[256];
	snprintf(want, sizeof want, "%s: cannot open: No such file or directory", path);
	cr_expect_str_eq(e.msg, want);
	cr_expect_eq(c.n, 0);
}

Test(catalog, find_and_did_you_mean)
{
	struct catalog c;
	struct herr e;
	cr_assert_eq(catalog_load(&c, PROJECT, &e), 0, "%s", e.msg);
	cr_expect(catalog_find(&c, "t3.2xlarge") == &c.types[c.n - 1]);
	cr_expect_null(catalog_find(&c, "M5.large"));
	cr_expect_null(catalog_find(&c, "t3.medium"));

	static const struct {
		const char *in, *want; /* want NULL: nothing close */
	} rows[] = {
		{"m5.larg", "m5.large"},     {"m5.lrage", "m5.large"},     {"M5.LARGE", "m5.large"},
		{"m5.xxlarge", "m5.xlarge"}, {"c6g.8xlrge", "c6g.8xlarge"}, {"m7g.2xlarge", "m7g.2xlarge"},
		{"m5a.large", "m5.large"},   {"p5.48xlarge", NULL},         {"g5.12xlarge", NULL},
		{"x", NULL},                 {"", NULL},
	};
	for (size_t i = 0; i < ARRAY_LEN(rows); i++) {
		const char *got = catalog_suggest(&c, rows[i].in);
		if (rows[i].want)
			cr_expect(got && !strcmp(got, rows[i].want), "'%s': got %s, want %s", rows[i].in,
				  got ? got : "NULL", rows[i].want);
		else
			cr_expect_null(got, "'%s': got %s", rows[i].in, got);
	}

	char buf[256];
	cr_expect_str_eq(catalog_unknown_msg(&c, "m5.larg", buf, sizeof buf),
			 "no instance type 'm5.larg' in " PROJECT "; did you mean 'm5.large'?");
	cr_expect_str_eq(catalog_unknown_msg(&c, "p5.48xlarge", buf, sizeof buf),
			 "no instance type 'p5.48xlarge' in " PROJECT " (53 types, e.g. 'm5.large')");

	/* Families: exact, and the closest family for a message. */
	cr_expect(catalog_has_family(&c, "m5") && catalog_has_family(&c, "c6g"));
	cr_expect(!catalog_has_family(&c, "m6") && !catalog_has_family(&c, "M5") && !catalog_has_family(&c, ""));
	cr_expect_str_eq(catalog_unknown_family_msg(&c, "c6gx", buf, sizeof buf),
			 "no instance family 'c6gx' in " PROJECT "; did you mean 'c6g'?");
	cr_expect_str_eq(catalog_unknown_family_msg(&c, "hpc7", buf, sizeof buf),
			 "no instance family 'hpc7' in " PROJECT " (e.g. 'm5')");
	catalog_free(&c);
}

/* An absurd catalog is refused with the limit, not loaded into memory. */
Test(catalog, too_many_types_are_refused)
{
	char path[] = "/tmp/hr-cat-big-XXXXXX";
	int fd = mkstemp(path);
	cr_assert(fd >= 0);
	FILE *f = fdopen(fd, "w");
	fputs("name,arch,vcpu,memory_mib,max_pods,price_usd_hour\n", f);
	for (int i = 0; i < 5001; i++)
		fprintf(f, "x%d.large,amd64,2,8192,29,0.1\n", i);
	fclose(f);
	struct catalog c;
	struct herr e;
	cr_assert_eq(catalog_load(&c, path, &e), -1);
	char want[128];
	snprintf(want, sizeof want, "%s:5002:1: more than 5000 instance types", path);
	cr_expect(!strncmp(e.msg, want, strlen(want)), "%s", e.msg);
	unlink(path);
}

/* ---- offerings ---- */

#define TWO_TYPES                                                                                                      \
	"name,arch,vcpu,memory_mib,max_pods,price_usd_hour,spot_price_usd_hour\n"                                     \
	"m5.large,amd64,2,8192,29,0.096,0.04\n"                                                                        \
	"c5.large,amd64,2,4096,29,0.085,\n"

static void load_two(struct catalog *c)
{
	struct herr e;
	cr_assert_eq(catalog_load(c, put(TWO_TYPES), &e), 0, "%s", e.msg);
}

/* Hand-computed: the defaults (on-demand at the catalog's price everywhere,
 * spot where the catalog's spot column gives a price), each type and
 * capacity type the file lists replaced by its rows (an empty zone: every
 * zone; available false: not offered; a zone of another cluster ignored). */
Test(catalog, offerings_replace_the_defaults_per_type_and_capacity_type)
{
	struct catalog c;
	struct herr e;
	load_two(&c);
	const char *path = put_as("o.csv", "# spot prices\n"
					   "capacity_type,name,price_usd_hour,zone,available\n"
					   "spot,c5.large,0.03,us-east-1a,\n"
					   "spot,c5.large,0.031,us-east-1b,true\n"
					   "spot,c5.large,0.029,us-east-1d,true\n"
					   "on-demand,m5.large,0.1,,\n"
					   "spot,m5.large,0.04,us-east-1c,false\n");
	cr_assert_eq(catalog_load_offerings(&c, path, &e), 0, "%s", e.msg);
	cr_expect_eq(c.n_offers, 5);
	cr_expect_str_eq(c.offers_path, path);
	cr_expect(!c.offers[4].available && c.offers[4].spot && c.offers[4].line == 7);
	const char *zones[] = {"us-east-1a", "us-east-1b", "us-east-1c"};
	double *p = catalog_offer_table(&c, zones, 3);
	static const double want[2][3][2] = {
		/* m5.large: on-demand 0.1 everywhere (the row), spot nowhere (its one row unavailable) */
		{{0.1, 0}, {0.1, 0}, {0.1, 0}},
		/* c5.large: on-demand 0.085 (the default), spot in 1a and 1b (1d is not a cluster zone) */
		{{0.085, 0.03}, {0.085, 0.031}, {0.085, 0}},
	};
	for (size_t t = 0; t < 2; t++)
		for (size_t z = 0; z < 3; z++)
			for (size_t k = 0; k < 2; k++)
				cr_expect_eq(p[(t * 3 + z) * 2 + k], want[t][z][k], "%s %s %s", c.types[t].name, zones[z],
					     k ? "spot" : "on-demand");
	free(p);
	catalog_free(&c);
}

Test(catalog, offerings_default_without_a_file)
{
	struct catalog c;
	load_two(&c);
	const char *zones[] = {"a1", "b1"};
	double *p = catalog_offer_table(&c, zones, 2);
	static const double want[] = {0.096, 0.04, 0.096, 0.04, 0.085, 0, 0.085, 0};
	for (size_t i = 0; i < ARRAY_LEN(want); i++)
		cr_expect_eq(p[i], want[i], "cell %zu", i);
	free(p);
	catalog_free(&c);
}

Test(catalog, offerings_errors_name_their_place)
{
	static const struct bad_case cases[] = {
		{"name,zone,capacity_type\nm5.large,us-east-1a,spot\n",
		 "1:1: missing column 'price_usd_hour' (required: name, zone, capacity_type, price_usd_hour)"},
		{"name,zone,capacity_typ,price_usd_hour\n",
		 "1:11: unknown column 'capacity_typ'; did you mean 'capacity_type'?"},
		{"name,zone,capacity_type,price_usd_hour\nm5.larg,us-east-1a,spot,0.03\n",
		 "2:1: no instance type 'm5.larg' in CAT; did you mean 'm5.large'?"},
		{"name,zone,capacity_type,price_usd_hour\n,us-east-1a,spot,0.03\n", "2:1: name is empty"},
		{"name,zone,capacity_type,price_usd_hour\nm5.large,us east,spot,0.03\n",
		 "2:10: zone 'us east' is not a zone name (a label value: letters, digits, '-', '_', '.', at most 63 "
		 "characters; empty for every zone)"},
		{"name,zone,capacity_type,price_usd_hour\nm5.large,us-east-1a,Spot,0.03\n",
		 "2:21: capacity_type 'Spot' is not on-demand or spot (the values of karpenter.sh/capacity-type)"},
		{"name,zone,capacity_type,price_usd_hour\nm5.large,us-east-1a,reserved,0.03\n",
		 "2:21: capacity_type 'reserved' is not modelled: give on-demand or spot (capacity reservations are "
		 "not simulated)"},
		{"name,zone,capacity_type,price_usd_hour\nm5.large,us-east-1a,spot,-1\n",
		 "2:26: price_usd_hour '-1' is out of range: want more than 0 and at most 1000 (USD per hour)"},
		{"name,zone,capacity_type,price_usd_hour\nm5.large,us-east-1a,spot,0.2\n",
		 "2:26: price_usd_hour '0.2' of a spot offering is above m5.large's on-demand price 0.096 in CAT: EC2 "
		 "caps spot at the on-demand price"},
		{"name,zone,capacity_type,price_usd_hour,available\nm5.large,us-east-1a,spot,0.03,yes\n",
		 "2:31: available 'yes' is not true or false"},
		{"name,zone,capacity_type,price_usd_hour\nm5.large,us-east-1a,spot,0.03\nm5.large,us-east-1a,spot,0.04\n",
		 "3:1: offering m5.large spot in us-east-1a appears twice (first on line 2)"},
		{"name,zone,capacity_type,price_usd_hour\nm5.large,,spot,0.03\nm5.large,us-east-1a,spot,0.04\n",
		 "3:1: m5.large spot has an every-zone row (empty zone, line 2) and per-zone rows: give one or the "
		 "other"},
		{"name,zone,capacity_type,price_usd_hour\nm5.large,us-east-1a,spot,0.03\nm5.large,,spot,0.04\n",
		 "3:1: m5.large spot has an every-zone row (empty zone, line 3) and per-zone rows: give one or the "
		 "other"},
		{"name,zone,capacity_type,price_usd_hour\nm5.large,us-east-1a,spot\n",
		 "2:25: 3 cells, but the header names 4 columns"},
		{"name,zone,capacity_type,price_usd_hour\n", " no offerings: the file has a header but no rows"},
		{"", " no header: want a first line naming the columns, e.g. "
		     "name,zone,capacity_type,price_usd_hour,available"},
	};
	struct catalog c;
	load_two(&c);
	char cat[256];
	snprintf(cat, sizeof cat, "%s/c.csv", dir);
	for (size_t i = 0; i < ARRAY_LEN(cases); i++) {
		struct herr e = {""};
		const char *path = put_as("o.csv", cases[i].text);
		int rc = catalog_load_offerings(&c, path, &e);
		char want[1024], msg[800];
		snprintf(msg, sizeof msg, "%s", cases[i].msg);
		char *at = strstr(msg, "CAT");
		if (at) { /* the catalog's path in the message */
			char tail[800];
			snprintf(tail, sizeof tail, "%s", at + 3);
			snprintf(at, sizeof msg - (size_t)(at - msg), "%s%s", cat, tail);
		}
		snprintf(want, sizeof want, "%s:%s", path, msg);
		cr_expect_eq(rc, -1, "case %zu: accepted", i);
		cr_expect_str_eq(e.msg, want, "case %zu:\n got  %s\n want %s", i, e.msg, want);
		cr_expect(c.offers == NULL && c.n_offers == 0 && c.n == 2, "case %zu: offerings not emptied", i);
	}
	catalog_free(&c);
}

/* An absurd offerings file is refused at its 100,001st row: 5,000 types
 * in 21 zones each (a type's rows stay few, as the duplicate check
 * expects). */
Test(catalog, too_many_offerings_are_refused)
{
	char cat[300], off[300];
	snprintf(cat, sizeof cat, "%s/big.csv", dir);
	snprintf(off, sizeof off, "%s/big-o.csv", dir);
	FILE *f = fopen(cat, "w");
	cr_assert(f);
	fputs(HDR, f);
	for (int t = 0; t < 5000; t++)
		fprintf(f, "x%d.large,amd64,2,8192,29,0.1\n", t);
	fclose(f);
	cr_assert(f = fopen(off, "w"));
	fputs("name,zone,capacity_type,price_usd_hour\n", f);
	for (int z = 0; z < 21; z++)
		for (int t = 0; t < 5000; t++)
			fprintf(f, "x%d.large,z%d,on-demand,0.1\n", t, z);
	fclose(f);
	struct catalog c;
	struct herr e;
	cr_assert_eq(catalog_load(&c, cat, &e), 0, "%s", e.msg);
	cr_assert_eq(catalog_load_offerings(&c, off, &e), -1);
	char want[400];
	snprintf(want, sizeof want, "%s:100002:1: more than 100000 offerings", off);
	cr_expect(!strncmp(e.msg, want, strlen(want)), "%s", e.msg);
	cr_expect(c.offers == NULL && c.n_offers == 0);
	catalog_free(&c);
}

/* The shipped spot offerings (scenarios/catalogs/README.md): an assumed
 * discount per instance category off each type's on-demand price, one
 * every-zone row per type, so that every zone of any cluster gets it. */
Test(catalog, shipped_spot_offerings_follow_the_stated_discounts)
{
	struct catalog c;
	struct herr e;
	cr_assert_eq(catalog_load(&c, PROJECT, &e), 0, "%s", e.msg);
	cr_assert_eq(catalog_load_offerings(&c, "scenarios/catalogs/ec2-us-east-1-spot.csv", &e), 0, "%s", e.msg);
	cr_expect_eq(c.n_offers, c.n, "one row per type");
	bool seen[64] = {false};
	for (size_t i = 0; i < c.n_offers; i++) {
		const struct offering *o = &c.offers[i];
		const struct instance_type *t = &c.types[o->type];
		double off = !strcmp(t->category, "m") ? 0.60 : !strcmp(t->category, "c") ? 0.65 : 0.70;
		cr_expect(o->spot && o->available && !o->zone[0], "%s", t->name);
		cr_expect(fabs(o->price_hour - t->price_hour * (1 - off)) < 1e-6, "%s: %g", t->name, o->price_hour);
		seen[o->type] = true;
	}
	for (size_t t = 0; t < c.n; t++)
		cr_expect(seen[t], "%s has no spot offering", c.types[t].name);
	catalog_free(&c);
}
